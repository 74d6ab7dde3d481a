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
export function ladderFaults(
  probabilities: readonly (number | null)[],
  shares: readonly number[] = effectiveShares(probabilities),
): LadderFault[] {
  const faults: LadderFault[] = [];
  const n = probabilities.length;
  if (n === 0) return faults;
  const firstCatchAll = probabilities.indexOf(null);
  if (firstCatchAll >= 0 && firstCatchAll < n - 1) faults.push({ kind: "unreachable", index: firstCatchAll + 1 });
  if (firstCatchAll < 0) {
    const lost = 1 - shares.reduce((sum, s) => sum + s, 0);
    faults.push({ kind: "falls-through", lost });
  }
  if (faults.length === 0) {
    const expected = 1 / n;
    for (let index = 0; index < n; index++) {
      const share = shares[index]!;
      if (Math.abs(share - expected) > EVEN_TOLERANCE) faults.push({ kind: "uneven", index, share, expected });
    }
  }
  return faults;
}

/** 10^k for k ≤ 22: each exactly a double. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `Number(text)` for a probability as written (`0.3333333333`): digits with at most one `.`. With at most 15 digits
 * and 22 decimals, the digits as an integer and the power of ten are exact doubles, and one division rounds their
 * quotient correctly, as Number rounds the decimal: the same value, without the general conversion. Any other text
 * goes to Number.
 */
export function probabilityNumber(text: string): number {
  let digits = 0;
  let mantissa = 0;
  let point = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) {
      point = i;
    } else {
      return Number(text);
    }
  }
  const decimals = point < 0 ? 0 : text.length - point - 1;
  if (digits === 0 || digits > 15 || decimals > 22) return Number(text);
  return mantissa / POWERS_OF_TEN[decimals]!;
}
