/**
 * The model at DESIGN.md's scale: a 10k-service, 50k-endpoint node (~230k lines). The budget itself (parse + model
 * well under `iptables-restore --test`) is measured by `npm run bench`; here the model must stay correct at that size
 * and grow linearly: a quadratic scan would take 25× as long for 5× the services (the bound leaves room for the
 * garbage collector, whose work grows with the live heap).
 */
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { syntheticKubeProxyDump } from "../iptables/synthetic-kube-proxy-dump";
import type { IptablesDump } from "../iptables/types";
import { buildProxyModel } from "./build-service-model";

function dumpOf(services: number): IptablesDump {
  const parsed = parseIptablesSave(syntheticKubeProxyDump({ services, endpointsPerService: 5 }));
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.dump;
}

/** Best of a few runs: the machine is shared, and the fastest run is the one least disturbed. */
function bestTime(dump: IptablesDump, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    buildProxyModel(dump);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

describe("a 10k-service node", () => {
  const large = dumpOf(10_000);

  it("is modelled whole, every chain name verified, without problems", () => {
    const model = buildProxyModel(large);
    expect(model.servicePorts).toHaveLength(10_000);
    expect(model.servicePorts.reduce((n, p) => n + p.endpoints.length, 0)).toBe(50_000);
    expect(model.servicePorts.every((p) => p.chainVerified && p.endpoints.every((e) => e.chainVerified))).toBe(true);
    expect(model.problems).toEqual([]);
  });

  it("in time linear in its size", () => {
    const small = dumpOf(2_000);
    const smallTime = bestTime(small, 3);
    const largeTime = bestTime(large, 2);
    expect(largeTime / smallTime).toBeLessThan(15);
    expect(largeTime).toBeLessThan(4_000);
  });
});
