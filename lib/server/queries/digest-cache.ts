/**
 * A bounded in-process cache for data addressed by digest. A ruleset digest names its manifest and its model forever
 * (content addressing), so cached entries never go stale and need no invalidation — only a bound on memory. The
 * dashboard reads the same few current rulesets over and over; keeping their manifests and models here is what
 * lets a 10k-service diff or service page skip re-reading and re-parsing megabytes per request.
 */

/** A least-recently-used cache whose bound is a total weight (rows, bytes — the caller's unit). */
export interface DigestCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T, weight: number): void;
  /** Current total weight, for tests and diagnostics. */
  weight(): number;
}

export function createDigestCache<T>(maxWeight: number): DigestCache<T> {
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used entry first.
  const entries = new Map<string, { value: T; weight: number }>();
  let total = 0;
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, weight) {
      const old = entries.get(key);
      if (old) {
        entries.delete(key);
        total -= old.weight;
      }
      // An entry heavier than the whole cache is not kept: it would evict everything and then itself.
      if (weight > maxWeight) return;
      entries.set(key, { value, weight });
      total += weight;
      for (const [oldest, entry] of entries) {
        if (total <= maxWeight) break;
        entries.delete(oldest);
        total -= entry.weight;
      }
    },
    weight: () => total,
  };
}
