/**
 * Writes chain bodies and rulesets (prisma/models.prisma, ChainBody and Ruleset). Bodies are written once per
 * digest for the whole installation; a ruleset is a delta of the node's previous ruleset when that is cheaper, a
 * keyframe otherwise.
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { StoredManifestEntry } from "./read-ruleset-manifest";
import { chunked, LOOKUP_CHUNK, type Tx } from "./transaction";

/**
 * Rows per bulk insert. Bulk rows travel as one JSON parameter expanded by the database (json_each on SQLite,
 * jsonb_to_recordset on PostgreSQL): a 10k-service ruleset is ~64k bodies and ~64k manifest rows, and binding them
 * as separate parameters cost seconds in the client (measured), the JSON form a fraction of that.
 */
const JSON_INSERT_CHUNK = 10_000;

/** A body to store, with the table it was first seen in. */
export interface NewChainBody {
  digest: string;
  table: string;
  body: string;
}

/** Digests among `digests` that have no ChainBody row. */
export async function findMissingBodies(tx: Tx, digests: readonly string[]): Promise<string[]> {
  const unique = [...new Set(digests)];
  const known = new Set<string>();
  // Raw SQL on the bulk paths: a 10k-service ruleset has ~64k chains, and building that many rows through the
  // query builder cost seconds (measured: most of a first capture's ingest time went to it).
  for (const slice of chunked(unique, LOOKUP_CHUNK)) {
    const rows = await tx.$queryRaw<{ digest: string }[]>`SELECT "digest" FROM "ChainBody" WHERE "digest" IN (${Prisma.join(slice)})`;
    for (const row of rows) known.add(row.digest);
  }
  return unique.filter((digest) => !known.has(digest));
}

/**
 * Stores the bodies that are not stored yet. `ChainBody.table` is the table the body was first seen in: equal bodies
 * in two tables (an empty user chain) share one row, as the digest covers the text only.
 */
export async function storeChainBodies(tx: Tx, bodies: readonly NewChainBody[], provider: "sqlite" | "postgresql"): Promise<number> {
  const missing = new Set(await findMissingBodies(tx, bodies.map((b) => b.digest)));
  // Sorted by digest: two transactions inserting overlapping bodies then take the rows' locks in the same order and
  // one waits for the other instead of deadlocking (PostgreSQL).
  const fresh = bodies.filter((b) => missing.delete(b.digest)).sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  for (const slice of chunked(fresh, JSON_INSERT_CHUNK)) {
    const json = JSON.stringify(slice.map((b) => ({ d: b.digest, t: b.table, x: b.body, n: ruleCountOf(b.body) })));
    // Two nodes storing different new rulesets may share a new body: on PostgreSQL the second insert waits for the
    // first transaction and then skips the row (SQLite has one writer at a time, so the lookup above is exact).
    if (provider === "postgresql") {
      await tx.$executeRaw`INSERT INTO "ChainBody" ("digest", "table", "text", "ruleCount")
        SELECT r.d, r.t, r.x, r.n FROM jsonb_to_recordset(${json}::jsonb) AS r(d text, t text, x text, n int) ON CONFLICT DO NOTHING`;
    } else {
      // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join of the SELECT.
      await tx.$executeRaw`INSERT INTO "ChainBody" ("digest", "table", "text", "ruleCount")
        SELECT json_extract(value, '$.d'), json_extract(value, '$.t'), json_extract(value, '$.x'), json_extract(value, '$.n')
        FROM json_each(${json}) WHERE true ON CONFLICT DO NOTHING`;
    }
  }
  return fresh.length;
}

/** Rules of a normalized body: its `-A` lines (the `-P` line is the policy). */
export function ruleCountOf(body: string): number {
  if (body === "") return 0;
  let count = 0;
  for (const line of body.split("\n")) if (!line.startsWith("-P ")) count++;
  return count;
}

/** The ruleset a new one may be stored as a delta of. */
export interface RulesetBase {
  digest: string;
  manifest: readonly StoredManifestEntry[];
  depth: number;
  deltaRows: number;
}

/** What `storeRuleset` wrote. */
export interface StoredRuleset {
  digest: string;
  keyframe: boolean;
  /** RulesetChain rows written. */
  rows: number;
}

const entryKey = (e: { table: string; chain: string }) => `${e.table}\u0000${e.chain}`;

/**
 * Stores ruleset `digest` with `manifest`. With a base, only chains added or changed are written, plus a tombstone
 * per chain removed, unless the deltas since the keyframe would then exceed half the chain count: then a keyframe
 * is written, so reads stay within ~1.5 manifests of rows (models.prisma, Ruleset).
 */
export async function storeRuleset(
  tx: Tx,
  input: {
    digest: string;
    family: string;
    mode: string;
    manifest: readonly StoredManifestEntry[];
    base: RulesetBase | null;
    provider: "sqlite" | "postgresql";
  },
): Promise<StoredRuleset> {
  const { manifest, base } = input;
  let rows = manifest.map((e) => ({ table: e.table, chain: e.chain, policy: e.policy, chainDigest: e.digest as string | null }));
  let keyframe = true;
  if (base) {
    const before = new Map(base.manifest.map((e) => [entryKey(e), e]));
    const after = new Set(manifest.map(entryKey));
    const delta = rows.filter((row) => {
      const old = before.get(entryKey(row));
      return !old || old.digest !== row.chainDigest || old.policy !== row.policy;
    });
    for (const old of base.manifest) {
      if (!after.has(entryKey(old))) delta.push({ table: old.table, chain: old.chain, policy: old.policy, chainDigest: null });
    }
    if (base.deltaRows + delta.length <= manifest.length / 2) {
      rows = delta;
      keyframe = false;
    }
  }
  await tx.ruleset.create({
    data: {
      digest: input.digest,
      family: input.family,
      mode: input.mode,
      chainCount: manifest.length,
      baseDigest: keyframe ? null : base!.digest,
      depth: keyframe ? 0 : base!.depth + 1,
      deltaRows: keyframe ? 0 : base!.deltaRows + rows.length,
    },
  });
  for (const slice of chunked(rows, JSON_INSERT_CHUNK)) {
    const json = JSON.stringify(slice.map((row) => ({ t: row.table, c: row.chain, p: row.policy, d: row.chainDigest })));
    if (input.provider === "postgresql") {
      await tx.$executeRaw`INSERT INTO "RulesetChain" ("rulesetDigest", "table", "chain", "policy", "chainDigest")
        SELECT ${input.digest}, r.t, r.c, r.p, r.d FROM jsonb_to_recordset(${json}::jsonb) AS r(t text, c text, p text, d text)`;
    } else {
      await tx.$executeRaw`INSERT INTO "RulesetChain" ("rulesetDigest", "table", "chain", "policy", "chainDigest")
        SELECT ${input.digest}, json_extract(value, '$.t'), json_extract(value, '$.c'), json_extract(value, '$.p'), json_extract(value, '$.d')
        FROM json_each(${json})`;
    }
  }
  return { digest: input.digest, keyframe, rows: rows.length };
}
