/** Chain bodies by digest, read in batches (a 10k-service ruleset has ~70k of them). */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { Db } from "../db";

/** A stored chain body. */
export interface ChainBodyRow {
  digest: string;
  table: string;
  /** `-A CHAIN …` lines (nftables: rule statements), `\n`-joined, no counters. */
  text: string;
  ruleCount: number;
}

// Well under SQLite's bound-parameter limit and PostgreSQL's, and big enough that a whole ruleset takes ~15 queries.
const BATCH = 5_000;

/** The bodies of `digests` that exist, keyed by digest. */
export async function readChainBodies(db: Db, digests: Iterable<string>): Promise<Map<string, ChainBodyRow>> {
  const unique = [...new Set(digests)];
  const bodies = new Map<string, ChainBodyRow>();
  for (let start = 0; start < unique.length; start += BATCH) {
    // Raw SQL: for hundreds of bodies it is several times faster than the query builder, and a diff waits on it.
    const rows = await db.$queryRaw<{ digest: string; table: string; text: string; ruleCount: number | bigint }[]>`
      SELECT "digest", "table", "text", "ruleCount" FROM "ChainBody" WHERE "digest" IN (${Prisma.join(unique.slice(start, start + BATCH))})`;
    for (const row of rows) bodies.set(row.digest, { ...row, ruleCount: Number(row.ruleCount) });
  }
  return bodies;
}

/**
 * The rule lines of a body. A normalized body may start with `-P CHAIN POLICY` (lib/iptables/chain-digest.ts puts a
 * built-in chain's policy into its content); the policy is a declaration, not a rule, and the manifest carries it,
 * so it is dropped here.
 */
export function ruleLines(text: string): string[] {
  if (text === "") return [];
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("-P "));
}
