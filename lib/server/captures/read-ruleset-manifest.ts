/**
 * The full manifest of a stored ruleset, delta encoding resolved (see prisma/models.prisma, Ruleset): one recursive
 * query walks `baseDigest` to the keyframe and keeps, per (table, chain), the row of the nearest ruleset; a
 * tombstone (null digest) hides the chain. Sorted in code-unit order here, not in SQL: PostgreSQL's collation and
 * SQLite's byte order disagree on names like KUBE-SEP-… vs KUBE-SERVICES.
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { Tx } from "./transaction";

/** One chain of a stored ruleset. */
export interface StoredManifestEntry {
  table: string;
  chain: string;
  policy: string | null;
  digest: string;
}

/**
 * The manifest of ruleset `digest` (a `Ruleset.digest`), optionally only the chains named in `chains` (of the tables
 * in `tables`: with both, the lookup uses the (rulesetDigest, table, chain) key instead of reading every row).
 */
export async function readRulesetManifest(
  tx: Tx,
  digest: string,
  options: { chains?: readonly string[]; tables?: readonly string[] } = {},
): Promise<StoredManifestEntry[]> {
  if (options.chains && options.chains.length === 0) return [];
  const tableFilter = options.tables?.length ? Prisma.sql`AND c."table" IN (${Prisma.join([...options.tables])})` : Prisma.empty;
  const chainFilter = options.chains ? Prisma.sql`${tableFilter} AND c."chain" IN (${Prisma.join([...options.chains])})` : Prisma.empty;
  const rows = await tx.$queryRaw<{ table: string; chain: string; policy: string | null; chainDigest: string | null }[]>`
    WITH RECURSIVE lineage(digest, base, hops) AS (
      SELECT "digest", "baseDigest", 0 FROM "Ruleset" WHERE "digest" = ${digest}
      UNION ALL
      SELECT r."digest", r."baseDigest", l.hops + 1 FROM "Ruleset" r JOIN lineage l ON r."digest" = l.base
    ), nearest AS (
      SELECT c."table", c."chain", c."policy", c."chainDigest",
             ROW_NUMBER() OVER (PARTITION BY c."table", c."chain" ORDER BY l.hops) AS pick
      FROM "RulesetChain" c JOIN lineage l ON c."rulesetDigest" = l.digest
      WHERE 1 = 1 ${chainFilter}
    )
    SELECT "table", "chain", "policy", "chainDigest" FROM nearest WHERE pick = 1 AND "chainDigest" IS NOT NULL`;
  return rows
    .map((row) => ({ table: row.table, chain: row.chain, policy: row.policy, digest: row.chainDigest as string }))
    .sort(compareEntries);
}

function compareEntries(a: StoredManifestEntry, b: StoredManifestEntry): number {
  if (a.table !== b.table) return a.table < b.table ? -1 : 1;
  if (a.chain !== b.chain) return a.chain < b.chain ? -1 : 1;
  return 0;
}
