/**
 * `iptables-save -c` of the tables kube-proxy writes: nat (the service paths) and, when kube-proxy has chains
 * there, filter (KUBE-SERVICES / KUBE-EXTERNAL-SERVICES reject services without endpoints).
 */
import { parseIptablesSave } from "../../../lib/iptables/parse-iptables-save";
import type { IptablesDump } from "../../../lib/iptables/types";
import type { CommandRunner } from "./run-command";

export type IptablesCaptureResult =
  | { ok: true; dump: IptablesDump; hasKubeServices: boolean; hasRules: boolean }
  | { ok: false; msg: string; cause: string };

/** Tells kube-proxy's filter chains apart from a node's other filter rules (CNI, firewalls). */
const KUBE_FILTER_CHAINS = /^:KUBE-(SERVICES|EXTERNAL-SERVICES) /m;

/**
 * Captures one family's rules. A failing command (a locked xtables: exit 4, "Another app is currently holding the
 * xtables lock") and a dump the parser refuses (truncated output lacks its COMMIT) are errors the caller logs.
 */
export async function captureIptables(runner: CommandRunner, family: "ipv4" | "ipv6"): Promise<IptablesCaptureResult> {
  const cmd = family === "ipv4" ? "iptables-save" : "ip6tables-save";
  const nat = await runner.run(cmd, ["-c", "-t", "nat"]);
  if (nat.code !== 0) return { ok: false, msg: `${cmd} -t nat failed (exit ${nat.code})`, cause: nat.stderr.trim() };
  let text = nat.stdout;
  const filter = await runner.run(cmd, ["-c", "-t", "filter"]);
  if (filter.code !== 0) return { ok: false, msg: `${cmd} -t filter failed (exit ${filter.code})`, cause: filter.stderr.trim() };
  if (KUBE_FILTER_CHAINS.test(filter.stdout)) text += filter.stdout;
  // Rule options are not needed for digests and counters; skipping them halves the parse time of a large dump.
  const parsed = parseIptablesSave(text, { family, ruleOptions: false });
  if (!parsed.ok) {
    const e = parsed.error;
    return { ok: false, msg: `${cmd} output unreadable (truncated?)`, cause: `line ${e.line}: ${e.reason}: ${e.text.slice(0, 200)}` };
  }
  const natTable = parsed.dump.tables.find((t) => t.name === "nat");
  return {
    ok: true,
    dump: parsed.dump,
    hasKubeServices: natTable?.chains.some((c) => c.name === "KUBE-SERVICES") ?? false,
    hasRules: parsed.dump.tables.some((t) => t.chains.some((c) => c.rules.length > 0)),
  };
}
