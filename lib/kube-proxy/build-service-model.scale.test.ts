/**
 * The model on large nodes, rendered by the lab's kube-proxy renderer from the benchmark's synthetic cluster
 * (bench/generate-nat-dump.ts): every service port and endpoint of the cluster is found, every chain name verified,
 * and the time grows linearly. The speed budget itself (parse + model well under `iptables-restore --test`) is measured
 * by `npm run bench`; here only the ratio between two sizes is bounded, never a time.
 */
import { describe, expect, it } from "vitest";
import { BENCH_NODE, generateServices, renderServicesDump } from "../../bench/generate-nat-dump";
import { resolveServicePorts } from "../../lab/kube-proxy/service-ports";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import type { IptablesDump } from "../iptables/types";
import { buildProxyModel } from "./build-service-model";
import { MODEL_PARSE_OPTIONS, readProxyModel } from "./read-proxy-model";

function dumpOf(text: string): IptablesDump {
  const parsed = parseIptablesSave(text, MODEL_PARSE_OPTIONS);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.dump;
}

describe("the model of a 5k-service node", () => {
  const services = generateServices({ services: 5_000 });
  const text = renderServicesDump(services);
  const large = dumpOf(text);

  it("has every service port and endpoint of the cluster, every chain name verified, no problem", () => {
    const model = buildProxyModel(large);
    expect(model.problems).toEqual([]);
    const expected = resolveServicePorts(services, BENCH_NODE);
    expect(model.servicePorts).toHaveLength(expected.length);
    const byKey = new Map(model.servicePorts.map((p) => [`${p.name} ${p.protocol}`, p]));
    // Differences are collected and compared once: thousands of expect calls would cost more than the model.
    const differences: string[] = [];
    const differ = (port: string, what: string, actual: unknown, wanted: unknown) => {
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) differences.push(`${port} ${what}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(wanted)}`);
    };
    for (const port of expected) {
      const found = byKey.get(`${port.name} ${port.protocol}`);
      if (found === undefined) {
        differences.push(`${port.name} ${port.protocol} missing`);
        continue;
      }
      differ(port.name, "verified", found.chainVerified && found.endpoints.every((e) => e.chainVerified), true);
      differ(port.name, "cluster IPs", found.clusterIPs, [`${port.clusterIP}:${port.port}`]);
      differ(port.name, "node ports", found.nodePorts, port.nodePort > 0 ? [port.nodePort] : []);
      differ(port.name, "affinity", found.affinitySeconds, port.affinitySeconds);
      // kube-proxy balances over the ready endpoints, or the serving terminating ones when none is ready.
      const ready = port.endpoints.filter((e) => e.ready);
      const usable = ready.length > 0 ? ready : port.endpoints.filter((e) => e.serving);
      const sorted = (list: string[]) => [...new Set(list)].sort();
      differ(port.name, "endpoints", sorted(found.endpoints.map((e) => `${e.sepChain} ${e.address}`)), sorted(usable.map((e) => `${e.sepChain} ${e.endpoint}`)));
      differ(port.name, "shares", Math.abs(found.endpoints.reduce((sum, e) => sum + e.share, 0) - 1) < 1e-6, true);
    }
    expect(differences).toEqual([]);
  });

  it("is the same read from the text with readProxyModel, which parses without option arrays", () => {
    const read = readProxyModel(text);
    const full = parseIptablesSave(text);
    expect(read.ok && full.ok).toBe(true);
    // As JSON: the model is plain data, and comparing 5k service ports as text is quick.
    expect(JSON.stringify(read.ok && read.model)).toBe(JSON.stringify(full.ok && buildProxyModel(full.dump)));
  });
});
