import { describe, expect, it } from "vitest";
import { kubeProxyProbabilityText, probabilityNumber, savedProbabilityText } from "./probability";

describe("a written probability as a number", () => {
  it("is the value Number reads for every ladder kube-proxy writes and iptables-save prints back", () => {
    for (let count = 2; count <= 300; count++) {
      for (let index = 0; index < count - 1; index++) {
        const written = kubeProxyProbabilityText(index, count)!;
        const saved = savedProbabilityText(1 / (count - index));
        expect(Object.is(probabilityNumber(written), Number(written))).toBe(true);
        expect(Object.is(probabilityNumber(saved), Number(saved))).toBe(true);
        const old = (1 / (count - index)).toFixed(5);
        expect(Object.is(probabilityNumber(old), Number(old))).toBe(true);
      }
    }
  });

  it("is the value Number reads for other spellings, rounding included", () => {
    const texts = [
      "0.1", "0.7", "1", "1.", ".5", "00.25", "0.3333333333333333", "0.123456789012345", "0.1234567890123456",
      "0.0000000000000000000001", "0.00000000000000000000001", "123456789012345", "9007199254740993", "1e-3", "-0.5",
      "0x10", "", ".", "1.2.3", "0.5 ", "Infinity", "NaN",
    ];
    for (const text of texts) expect([text, probabilityNumber(text)]).toEqual([text, Number(text)]);
  });

  it("is the value Number reads for random decimals of up to 15 digits", () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 20_000; i++) {
      const decimals = next() % 16;
      const digits = String(next() * 2147483648 + next()).slice(0, 15 - (next() % 15));
      const text = decimals >= digits.length ? `0.${digits.padStart(decimals, "0")}` : `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
      expect(Object.is(probabilityNumber(text), Number(text))).toBe(true);
    }
  });
});
