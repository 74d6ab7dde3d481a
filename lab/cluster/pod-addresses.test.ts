import { describe, expect, it } from "vitest";
import { createPodAddresses } from "./pod-addresses";

describe("pod addresses", () => {
  it("hands out the next address after the last one, so a recreated pod gets a new address", () => {
    const addresses = createPodAddresses();
    expect(addresses.allocate("10.10.2")).toBe("10.10.2.2");
    addresses.release("10.10.2.2");
    expect(addresses.allocate("10.10.2")).toBe("10.10.2.3");
  });

  it("gives a requested address when free, continues after it, and refuses a taken one", () => {
    const addresses = createPodAddresses();
    expect(addresses.allocate("10.10.3", "10.10.3.3")).toBe("10.10.3.3");
    expect(addresses.allocate("10.10.3")).toBe("10.10.3.4");
    expect(() => addresses.allocate("10.10.3", "10.10.3.4")).toThrow(/taken/);
    expect(() => addresses.allocate("10.10.3", "10.10.1.9")).toThrow(/not in 10\.10\.3\.0\/24/);
  });

  it("wraps around past .254 and never hands out the gateway .1", () => {
    const addresses = createPodAddresses();
    addresses.allocate("10.10.1", "10.10.1.254");
    expect(addresses.allocate("10.10.1")).toBe("10.10.1.2");
    for (let i = 0; i < 251; i++) addresses.allocate("10.10.1");
    expect(() => addresses.allocate("10.10.1")).toThrow(/no free pod address/);
  });
});
