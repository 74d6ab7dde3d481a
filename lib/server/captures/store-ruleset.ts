/**
 * Writes chain bodies and rulesets (prisma/models.prisma, ChainBody and Ruleset). Bodies are written once per
 * digest for the whole installation; a ruleset is a delta of the node's previous ruleset when that is cheaper, a
 * keyframe otherwise.
 */
import type { StoredManifestEntry } from "./read-ruleset-manifest";
import { chunked, INSERT_CHUNK, LOOKUP_CHUNK, type Tx } from "./transaction";

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
  for (const slice of chunked(unique, LOOKUP_CHUNK)) {
    const rows = await tx.chainBody.findMany({ where: { digest: { in: slice } }, select: { digest: true } });
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
  const fresh = bodies.filter((b) => missing.delete(b.digest));
  for (const slice of chunked(fresh, INSERT_CHUNK)) {
    const data = slice.map((b) => ({ digest: b.digest, table: b.table, text: b.body, ruleCount: ruleCountOf(b.body) }));
    // Two nodes storing different new rulesets may share a new body. On PostgreSQL the second insert waits for the
    // first transaction and then skips the row; SQLite has one writer at a time, so the lookup above is exact.
    // (`skipDuplicates` is not in the SQLite client's type, which `Tx` is.)
    await tx.chainBody.createMany(provider === "postgresql" ? ({ data, skipDuplicates: true } as { data: typeof data }) : { data });
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
  input: { digest: string; family: string; mode: string; manifest: readonly StoredManifestEntry[]; base: RulesetBase | null },
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
  for (const slice of chunked(rows, INSERT_CHUNK)) {
    await tx.rulesetChain.createMany({ data: slice.map((row) => ({ ...row, rulesetDigest: input.digest })) });
  }
  return { digest: input.digest, keyframe, rows: rows.length };
}
