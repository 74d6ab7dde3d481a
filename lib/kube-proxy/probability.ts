/**
 * kube-proxy's random balancing ladder and what the kernel makes of it.
 *
 * kube-proxy gives endpoint i of n the rule `-m statistic --mode random --probability 1/(n-i)` (printed with
 * `%0.10f`; before ~v1.9 with `%0.5f`) and leaves the last rule without a statistic match. xt_statistic keeps the
 * probability as a 31-bit fraction: libxt_statistic stores lround(p · 2^31) and iptables-save prints it back as
 * stored / 2^31 with 11 decimals, so `0.3333333333` comes back as `0.33333333349`.
 *
 * A connection reaches rule i only when every earlier rule declined it, so the share of new connections that
 * endpoint i receives is p_i · Π_{j<i} (1 − p_j); a rule without probability takes everything that reaches it.
 */

const KERNEL_SCALE = 0x80000000; // 2^31

/** The probability the kernel actually applies for a written `--probability p`: round(p · 2^31) / 2^31. */
export function kernelProbability(p: number): number {
  return Math.round(Math.min(Math.max(p, 0), 1) * KERNEL_SCALE) / KERNEL_SCALE;
}

/** What `iptables-save` prints for a rule written with `--probability p` (11 decimals). */
export function savedProbabilityText(p: number): string {
  return kernelProbability(p).toFixed(11);
}

/** What kube-proxy writes for endpoint `index` (0-based) of `count`: `1/(count-index)` with 10 decimals, or null for the last. */
export function kubeProxyProbabilityText(index: number, count: number): string | null {
  return index >= count - 1 ? null : (1 / (count - index)).toFixed(10);
}

/**
 * Effective shares of a ladder, in rule order. `null` means a rule without probability (it takes all that reaches
 * it, and nothing reaches the rules after it). Probabilities are applied as the kernel applies them.
 */
export function effectiveShares(probabilities: readonly (number | null)[]): number[] {
  const shares: number[] = [];
  let remaining = 1;
  for (const p of probabilities) {
    const taken = p === null ? remaining : remaining * kernelProbability(p);
    shares.push(taken);
    remaining -= taken;
  }
  return shares;
}

/** How far a ladder is from kube-proxy's even split, when it is. */
export type LadderFault =
  | { kind: "falls-through"; lost: number } // the last rule has a probability: some connections pass every rule
  | { kind: "unreachable"; index: number } // a rule without probability before the end: later rules get nothing
  | { kind: "uneven"; index: number; share: number; expected: number }; // a share differs from 1/n

/**
 * Tolerance for "uneven": old kube-proxy wrote 5 decimals (1/39 → 0.02564), which moves shares by ~1e-5;
 * anything beyond 1e-3 is not rounding but a different ladder.
 */
const EVEN_TOLERANCE = 1e-3;

/** The faults of a ladder (empty for kube-proxy's own output). Shares come from {@link effectiveShares}. */
export function ladderFaults(probabilities: readonly (number | null)[]): LadderFault[] {
  const faults: LadderFault[] = [];
  const n = probabilities.length;
  if (n === 0) return faults;
  const shares = effectiveShares(probabilities);
  const firstCatchAll = probabilities.indexOf(null);
  if (firstCatchAll >= 0 && firstCatchAll < n - 1) faults.push({ kind: "unreachable", index: firstCatchAll + 1 });
  if (firstCatchAll < 0) {
    const lost = 1 - shares.reduce((sum, s) => sum + s, 0);
    faults.push({ kind: "falls-through", lost });
  }
  if (faults.length === 0) {
    const expected = 1 / n;
    shares.forEach((share, index) => {
      if (Math.abs(share - expected) > EVEN_TOLERANCE) faults.push({ kind: "uneven", index, share, expected });
    });
  }
  return faults;
}
