/**
 * The manifest of a changed capture said as its difference from the ruleset the server last accepted from this node
 * and family (`manifestDelta`, lib/contracts/capture.ts). On a 10k-service node the whole manifest is ~64k entries,
 * megabytes even gzip'd; a rule change touches a handful of them.
 */
import { rulesetDigest } from "../../lib/iptables/chain-digest";
import type { CaptureUpload, ChainRef, ManifestEntry } from "../../lib/contracts/capture";

/** A ruleset the server accepted: its wire digest and whole manifest. */
export interface AcceptedRuleset {
  rulesetDigest: string;
  manifest: readonly ManifestEntry[];
}

/**
 * `upload` (which carries its whole manifest) with the manifest replaced by its delta from `base`, or null when
 * the delta would not be the smaller (most chains changed: the whole manifest says it as well, without a base).
 */
export function manifestDeltaUpload(upload: CaptureUpload, base: AcceptedRuleset): CaptureUpload | null {
  const { manifest, ...rest } = upload;
  if (!manifest) return null;
  const key = (e: ChainRef) => `${e.table}\u0000${e.chain}`;
  const before = new Map(base.manifest.map((e) => [key(e), e]));
  const set: ManifestEntry[] = [];
  const present = new Set<string>();
  for (const entry of manifest) {
    const k = key(entry);
    present.add(k);
    const old = before.get(k);
    if (!old || old.digest !== entry.digest || old.policy !== entry.policy) set.push(entry);
  }
  const removed: ChainRef[] = [];
  for (const old of base.manifest) if (!present.has(key(old))) removed.push({ table: old.table, chain: old.chain });
  if (set.length + removed.length > manifest.length / 2) return null;
  return { ...rest, rulesetDigest: upload.rulesetDigest ?? rulesetDigest(manifest), manifestDelta: { base: base.rulesetDigest, set, removed } };
}
