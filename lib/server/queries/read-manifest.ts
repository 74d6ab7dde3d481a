/**
 * The full manifest of a ruleset: which chains it has, with which policy and body digest.
 *
 * Manifests are delta-encoded (prisma/models.prisma, model Ruleset): a keyframe holds every chain, a delta only the
 * chains added or changed relative to its base, plus a tombstone (null digest) per chain removed. One recursive query
 * (lib/server/captures/read-ruleset-manifest.ts) walks `baseDigest` up to the keyframe and keeps, per (table, chain),
 * the row of the nearest ruleset. Manifests never change for a digest, so they are cached here.
 */
import { readRulesetManifest } from "../captures/read-ruleset-manifest";
import type { Db } from "../db";
import { createDigestCache } from "./digest-cache";

/** One chain of a ruleset. */
export interface ManifestRow {
  table: string;
  chain: string;
  /** `ACCEPT`/`DROP` for built-in chains, null for user chains. */
  policy: string | null;
  chainDigest: string;
}

// ~1.4 million rows: the manifests of twenty 10k-service nodes (≈70k chains each), ~150 MB at most.
const manifests = createDigestCache<ManifestRow[]>(1_400_000);

/**
 * The manifest of `rulesetDigest`, sorted by table then chain in code-unit order (PostgreSQL's collation and SQLite's
 * binary order disagree on names like KUBE-SEP-… vs KUBE-SERVICES, so the database's order is not used). Empty when
 * the ruleset is unknown. The returned array is shared by later callers: do not modify it.
 */
export async function readManifest(db: Db, rulesetDigest: string): Promise<readonly ManifestRow[]> {
  const cached = manifests.get(rulesetDigest);
  if (cached) return cached;
  // The same recursive query ingest uses to build deltas; a Db is a transaction client's superset.
  const rows = await readRulesetManifest(db, rulesetDigest);
  const manifest = rows.map((r) => ({ table: r.table, chain: r.chain, policy: r.policy, chainDigest: r.digest })).sort(compareManifestRows);
  if (manifest.length > 0) manifests.set(rulesetDigest, manifest, manifest.length);
  return manifest;
}

/** (table, chain) in code-unit order. */
export function compareManifestRows(a: { table: string; chain: string }, b: { table: string; chain: string }): number {
  if (a.table !== b.table) return a.table < b.table ? -1 : 1;
  return a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0;
}

// Per manifest, its rows by (table, chain), built on first lookup and dropped with the manifest.
const indexes = new WeakMap<readonly ManifestRow[], Map<string, ManifestRow>>();

/** The row of `chain` in `table` of a manifest read by readManifest, or undefined. */
export function findManifestRow(manifest: readonly ManifestRow[], table: string, chain: string): ManifestRow | undefined {
  let index = indexes.get(manifest);
  if (!index) {
    index = new Map(manifest.map((row) => [`${row.table}\u0000${row.chain}`, row]));
    indexes.set(manifest, index);
  }
  return index.get(`${table}\u0000${chain}`);
}
