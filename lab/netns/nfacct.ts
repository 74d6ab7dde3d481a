/**
 * nfacct accounting objects inside a namespace. kube-proxy ≥1.29 creates two of them at startup
 * (`ct_state_invalid_dropped_pkts`, `localhost_nps_accepted_pkts`) and writes `-m nfacct --nfacct-name …` rules only
 * for those it managed to create: a rule naming a missing object is refused by iptables-restore ("RULE_APPEND failed
 * (No such file or directory)"), although `iptables-restore --test` accepts it.
 *
 * Objects are per network namespace. They are made with the `nfacct` tool (Debian package `nfacct`); without it,
 * none can be made, and callers render rules without nfacct matches, as kube-proxy does when its Ensure fails.
 */
import { execInNetns } from "./netns";

/** Creates the named accounting objects in `ns` and returns those that exist afterwards (none without `nfacct`). */
export async function ensureNfacctCounters(ns: string, names: string[]): Promise<string[]> {
  const existing = await listNfacctCounters(ns);
  if (existing === null) return [];
  for (const name of names) {
    if (existing.includes(name)) continue;
    const result = await execInNetns(ns, "nfacct", ["add", name]);
    if (result.code === 0) existing.push(name);
  }
  return names.filter((name) => existing.includes(name));
}

/** Names of the accounting objects in `ns`, or null when the `nfacct` tool is not installed. */
export async function listNfacctCounters(ns: string): Promise<string[] | null> {
  const result = await execInNetns(ns, "nfacct", ["list"]);
  // ip netns exec reports a missing program with exit 255 and "No such file or directory".
  if (result.code !== 0) return /No such file|not found/i.test(result.stderr) ? null : [];
  // `{ pkts = …, bytes = … } = NAME;`
  return [...result.stdout.matchAll(/=\s*([^\s;]+);/g)].map((m) => m[1] ?? "").filter((n) => n !== "");
}

/** The nfacct object names a restore input refers to. */
export function nfacctNamesIn(restoreText: string): string[] {
  return [...new Set([...restoreText.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1] ?? ""))].filter((n) => n !== "");
}
