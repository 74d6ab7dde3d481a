/**
 * `iptables-save -c` of the tables kube-proxy writes: nat (the service paths) and, when kube-proxy has chains
 * there, filter (KUBE-SERVICES / KUBE-EXTERNAL-SERVICES reject services without endpoints).
 *
 * One `iptables-save -c` prints every table: with the nf_tables backend each run fetches the whole ruleset from the
 * kernel whichever table it prints (≈1.8 s for 10k services), so saving nat and filter apart cost that twice.
 *
 * The output is digested as it streams out of the command (lib/capture/digest-iptables-save-lines.ts): a
 * 10k-service nat table prints ≈25 MB, and holding that text, its parse and all the bodies at once is what made
 * the agent's memory grow past 250 MB. Only digests, non-zero counters and the bodies the caller keeps remain.
 */
import type { BuiltCapture, CaptureMeta } from "../../../lib/capture/build-capture-upload";
import { buildCaptureFromDigests, createDumpDigester, type DigestedDump, type DumpDigester } from "../../../lib/capture/digest-iptables-save-lines";
import { collectGarbage } from "../heap";
import type { CommandRunner } from "./run-command";

/** Lines of dump between two garbage collections (see heap.ts): ≈5 MB of text. */
const LINES_PER_COLLECTION = 20_000;

/** kube-proxy's filter chains, which tell its filter rules apart from a node's others (CNI, firewalls). */
const KUBE_FILTER_CHAINS = ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"];

/** Which chain bodies to keep (those the server may lack), and where; and how long a save may take. */
export interface BodyKeeping {
  keepBody(digest: string): boolean;
  storeBody(digest: string, body: string): void;
  /**
   * With nf_tables, iptables-save starts its dump over whenever the ruleset changes meanwhile: on a large node
   * changing faster than it can be read (a rule change every second, a dump of 2 s) it never finishes and spins
   * at a full core. Past this limit it is stopped, and its CPU time counts against the capture budget.
   */
  saveTimeoutMs?: number;
}

export type IptablesCaptureResult =
  | { ok: true; capture: BuiltCapture; hasKubeServices: boolean; hasRules: boolean }
  | { ok: false; msg: string; cause: string };

/**
 * Captures one family's rules, keeping the bodies `bodies` asks for. A failing command (a locked xtables: exit 4,
 * "Another app is currently holding the xtables lock") and output that is not a whole dump (truncated output lacks
 * its COMMIT) are errors the caller logs.
 */
export async function captureIptables(runner: CommandRunner, meta: CaptureMeta & { family: "ipv4" | "ipv6" }, bodies: BodyKeeping): Promise<IptablesCaptureResult> {
  const cmd = meta.family === "ipv4" ? "iptables-save" : "ip6tables-save";
  // A digester per table kube-proxy writes; other tables' lines (mangle, raw) are skipped.
  const digesters = new Map<string, DumpDigester>(
    ["nat", "filter"].map((table) => [table, createDumpDigester({ family: meta.family, keepBody: bodies.keepBody, storeBody: bodies.storeBody })]),
  );
  let current: DumpDigester | undefined;
  let inTable = false;
  let lines = 0;
  const result = await runner.streamLines(cmd, ["-c"], (line) => {
    lines++;
    if (line.startsWith("*")) {
      current = digesters.get(line.slice(1).trim());
      inTable = true;
    }
    current?.line(line, lines);
    if (line === "COMMIT") {
      current = undefined;
      inTable = false;
    }
    if (lines % LINES_PER_COLLECTION === 0) collectGarbage();
  }, bodies.saveTimeoutMs);
  if (result.code !== 0) return { ok: false, msg: `${cmd} -c failed (exit ${result.code})`, cause: result.stderr.trim() };
  const digested: DigestedDump[] = [];
  for (const [table, digester] of digesters) {
    const finished = digester.finish();
    if (!finished.ok) {
      const e = finished.error;
      return { ok: false, msg: `${cmd} output unreadable (truncated?)`, cause: `line ${e.line}: ${e.reason} (${table} table): ${e.text.slice(0, 200)}` };
    }
    if (finished.digested.tables.length > 0) digested.push(finished.digested);
  }
  if (inTable) {
    // A table without its COMMIT that is not digested (mangle, raw): the output was cut all the same.
    return { ok: false, msg: `${cmd} output unreadable (truncated?)`, cause: `line ${lines}: the dump ends inside a table` };
  }
  const nat = digested.find((d) => d.tables.includes("nat"));
  const parts = digested.filter((d) => d === nat || KUBE_FILTER_CHAINS.some((chain) => d.hasChain("filter", chain)));
  return {
    ok: true,
    capture: buildCaptureFromDigests(parts, meta),
    hasKubeServices: nat?.hasChain("nat", "KUBE-SERVICES") ?? false,
    hasRules: parts.some((p) => p.hasRules),
  };
}
