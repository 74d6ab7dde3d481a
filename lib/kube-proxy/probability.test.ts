import { describe, expect, it } from "vitest";
import { effectiveShares, kernelProbability, kubeProxyProbabilityText, ladderFaults, savedProbabilityText } from "./probability";

describe("the kernel's view of --probability", () => {
  it("prints back what iptables-save shows for kube-proxy's ladders", () => {
    // corpus/README.md: 1/3 → 0.33333333349, 1/5 → 0.20000000019, old %0.5f 1/3 → 0.33332999982
    expect(savedProbabilityText(Number(kubeProxyProbabilityText(0, 3)))).toBe("0.33333333349");
    expect(savedProbabilityText(Number(kubeProxyProbabilityText(0, 5)))).toBe("0.20000000019");
    expect(savedProbabilityText(0.33333)).toBe("0.33332999982");
    expect(savedProbabilityText(0.5)).toBe("0.50000000000");
    // realworld/06: old kube-proxy's 1/40 and 1/39
    expect(savedProbabilityText(0.025)).toBe("0.02499999991");
    expect(savedProbabilityText(0.02564)).toBe("0.02564000012");
  });

  it("writes 10 decimals and no probability for the last endpoint, as kube-proxy does", () => {
    expect([0, 1, 2].map((i) => kubeProxyProbabilityText(i, 3))).toEqual(["0.3333333333", "0.5000000000", null]);
  });

  it("applies the 31-bit fraction the kernel stores", () => {
    expect(kernelProbability(0.3333333333) * 2 ** 31).toBe(715827883);
    expect(kernelProbability(2)).toBe(1);
  });
});

describe("effective shares", () => {
  it("give each of n endpoints 1/n for kube-proxy's ladder", () => {
    const shares = effectiveShares([0.33333333349, 0.5, null]);
    for (const share of shares) expect(share).toBeCloseTo(1 / 3, 9);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("follow p_i · Π(1 − p_j) for an uneven ladder", () => {
    expect(effectiveShares([0.5, 0.5, null])).toEqual([0.5, 0.25, 0.25]);
  });

  it("give nothing to rules after a catch-all", () => {
    expect(effectiveShares([null, 0.5, null])).toEqual([1, 0, 0]);
  });
});

describe("ladder faults", () => {
  it("find none in kube-proxy's ladders, old 5-decimal ones included", () => {
    expect(ladderFaults([0.33333333349, 0.5, null])).toEqual([]);
    const old40 = Array.from({ length: 39 }, (_, i) => Number((1 / (40 - i)).toFixed(5)));
    expect(ladderFaults([...old40, null])).toEqual([]);
    expect(ladderFaults([null])).toEqual([]);
  });

  it("report a ladder whose last rule has a probability", () => {
    const [fault] = ladderFaults([0.5, 0.5]);
    expect(fault).toMatchObject({ kind: "falls-through" });
    expect(fault?.kind === "falls-through" && fault.lost).toBeCloseTo(0.25, 9);
  });

  it("report unreachable rules and uneven shares", () => {
    expect(ladderFaults([null, null])).toEqual([{ kind: "unreachable", index: 1 }]);
    expect(ladderFaults([0.5, 0.5, null])).toEqual([
      { kind: "uneven", index: 0, share: 0.5, expected: 1 / 3 },
      { kind: "uneven", index: 1, share: 0.25, expected: 1 / 3 },
      { kind: "uneven", index: 2, share: 0.25, expected: 1 / 3 },
    ]);
  });
});
