/**
 * Content addresses of chains and rulesets (DESIGN.md, "Storage principles").
 *
 * The normalized body of a chain is what makes two captures "the same chain":
 * - one `-A NAME text` line per rule, in rule order (order is behaviour: the first matching rule wins);
 * - preceded by `-P NAME POLICY` when the chain has a policy (a built-in chain's policy changes what happens to
 *   traffic that falls off its end, so it is part of the content);
 * - never counters: they change with every packet and are kept apart as time series;
 * - lines joined by `\n`, no trailing newline; an empty user chain has the empty body.
 * Rule texts are taken verbatim: iptables-save prints rules in a canonical form, and `iptables -S [-v]` prints the
 * same text (its inline `-c` is cut by the parser), so a save dump and a listing of one ruleset digest alike.
 */
import { createHash } from "node:crypto";
import type { Chain, ChainDigestEntry, IptablesDump } from "./types";

/** The chain's normalized body (see the module comment). */
export function normalizedChainBody(chain: Chain): string {
  const lines: string[] = [];
  if (chain.policy !== null) lines.push(`-P ${chain.name} ${chain.policy}`);
  for (const rule of chain.rules) lines.push(rule.text === "" ? `-A ${chain.name}` : `-A ${chain.name} ${rule.text}`);
  return lines.join("\n");
}

/** Hex sha256 of the chain's normalized body. */
export function chainDigest(chain: Chain): string {
  return sha256(normalizedChainBody(chain));
}

/**
 * The manifest of a dump: one entry per chain of every table (declared or only named by rules), sorted by table then
 * chain. Chains a restore input deletes with `-X` are still listed when the input declares them — a partial-sync
 * input is not a whole ruleset, and applying it is the caller's business.
 */
export function chainManifest(dump: IptablesDump): ChainDigestEntry[] {
  const entries: ChainDigestEntry[] = [];
  for (const table of dump.tables) {
    for (const chain of table.chains) entries.push({ table: table.name, chain: chain.name, digest: chainDigest(chain) });
  }
  return entries.sort(compareEntries);
}

/**
 * Hex sha256 of a ruleset: its manifest entries sorted by (table, chain), one `table chain digest` line each,
 * `\n`-terminated. Order-insensitive on input, so any listing of the same chains gives the same digest.
 */
export function rulesetDigest(manifest: readonly ChainDigestEntry[]): string {
  const sorted = [...manifest].sort(compareEntries);
  let body = "";
  for (const entry of sorted) body += `${entry.table} ${entry.chain} ${entry.digest}\n`;
  return sha256(body);
}

/** Code-unit order (not locale order), so every machine sorts alike. */
function compareEntries(a: ChainDigestEntry, b: ChainDigestEntry): number {
  if (a.table !== b.table) return a.table < b.table ? -1 : 1;
  if (a.chain !== b.chain) return a.chain < b.chain ? -1 : 1;
  return 0;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
