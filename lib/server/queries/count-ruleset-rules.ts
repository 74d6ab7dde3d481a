/**
 * How many rules a ruleset holds, summed over its chains' bodies (each body's rule count is stored with it). A
 * ruleset never changes for a digest, so the count is cached like manifests and models.
 */
import type { Db } from "../db";
import { createDigestCache } from "./digest-cache";
import { readManifest } from "./read-manifest";

const counts = createDigestCache<number>(100_000);

/** SQLite binds at most 32766 parameters per statement; stay well below. */
const CHUNK = 5_000;

/** Rules in the ruleset `rulesetDigest` (0 when unknown). */
export async function countRulesetRules(db: Db, rulesetDigest: string): Promise<number> {
  const cached = counts.get(rulesetDigest);
  if (cached !== undefined) return cached;
  const manifest = await readManifest(db, rulesetDigest);
  // Several chains may share a body (empty chains, identical verdicts): count each chain, not each body.
  const uses = new Map<string, number>();
  for (const row of manifest) uses.set(row.chainDigest, (uses.get(row.chainDigest) ?? 0) + 1);
  const digests = [...uses.keys()];
  let total = 0;
  for (let i = 0; i < digests.length; i += CHUNK) {
    const bodies = await db.chainBody.findMany({ where: { digest: { in: digests.slice(i, i + CHUNK) } }, select: { digest: true, ruleCount: true } });
    for (const body of bodies) total += body.ruleCount * (uses.get(body.digest) ?? 0);
  }
  if (manifest.length > 0) counts.set(rulesetDigest, total, 1);
  return total;
}
