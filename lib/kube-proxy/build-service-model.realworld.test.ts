/**
 * Excerpts of real clusters' rules (corpus/realworld): not whole dumps, so chains outside the excerpt are dangling
 * there; what matters is that real formatting and old kube-proxy layouts come out as the right model.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { buildProxyModel } from "./build-service-model";
import type { ProxyModel, ServicePortModel } from "./types";

const realworld = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus/realworld");

function read(file: string): string[] {
  return readFileSync(path.join(realworld, file), "utf8").split("\n");
}

/** Parses rule lines as an `iptables -t nat -S` listing. */
function listingModel(lines: string[]): ProxyModel {
  const parsed = parseIptablesSave(lines.join("\n") + "\n", { defaultTable: "nat" });
  if (!parsed.ok) throw new Error(`${parsed.error.reason} at line ${parsed.error.line}: ${parsed.error.text}`);
  return buildProxyModel(parsed.dump);
}

const ruleLines = (lines: string[]) => lines.filter((l) => /^-[AN] /.test(l));

function port(model: ProxyModel, name: string, protocol = "tcp"): ServicePortModel {
  const found = model.servicePorts.find((p) => p.name === name && p.protocol === protocol);
  if (found === undefined) throw new Error(`no ${name} ${protocol} in ${model.servicePorts.map((p) => p.name).join(", ")}`);
  return found;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("realworld excerpts", () => {
  it("01 k3s + MetalLB, eTP=Local: `-S -v` inline counters, six endpoints, KUBE-EXT → KUBE-SVL", () => {
    const lines = read("01_k3s_metallb_robric_iptables-save_and_S-v.txt");
    // The transcript shows the same chains at several moments; take the entry rules and the Local capture.
    const local = lines.slice(lines.findIndex((l) => l.startsWith("# --- with externalTrafficPolicy: Local")));
    const entries = [...new Set(lines.filter((l) => /^-A KUBE-(SERVICES|NODEPORTS) /.test(l)))];
    const model = listingModel([...entries, ...ruleLines(local)]);
    const nginx = port(model, "default/nginx-mlb-l2-service");
    expect(nginx).toMatchObject({
      chainVerified: true,
      clusterIPs: ["10.43.159.55:80"],
      loadBalancerIPs: ["10.123.123.100:80"],
      nodePorts: [30329],
      externalTrafficPolicy: "Local",
      svlChain: "KUBE-SVL-W47NQ5DDJKUWFTVY",
    });
    expect(nginx.paths.find((p) => p.kind === "load-balancer")?.chains).toEqual([
      "KUBE-SERVICES",
      "KUBE-EXT-W47NQ5DDJKUWFTVY",
      "KUBE-SVL-W47NQ5DDJKUWFTVY",
    ]);
    expect(nginx.endpoints.map((e) => e.probabilityText)).toEqual(["0.16666666651", "0.20000000019", "0.25000000000", "0.33333333349", "0.50000000000", null]);
    for (const e of nginx.endpoints) expect(e.share).toBeCloseTo(1 / 6, 8);
    // The endpoint chains are outside the excerpt; the `-> ip:port` comments still prove their names.
    expect(nginx.endpoints.every((e) => e.chainVerified && e.via === "cluster")).toBe(true);
  });

  it("02 older kind: KUBE-XLB, masquerade in KUBE-SERVICES, KUBE-MARK-DROP for no local endpoints", () => {
    const model = listingModel(ruleLines(read("02_kind_older_kube-proxy_KUBE-XLB_katacoda.txt")));
    const svc = port(model, "default/test-svc");
    expect(svc).toMatchObject({
      chainVerified: true,
      portName: "",
      extChain: "KUBE-XLB-QKNQQNIN727HO3XU",
      externalTrafficPolicy: "Local",
      nodePorts: [32070],
      noEndpoints: [{ action: "DROP", reason: "has no local endpoints", destination: ":32070" }],
    });
    expect(svc.paths).toEqual([
      { kind: "cluster-ip", destination: "10.96.115.88:80", chains: ["KUBE-SERVICES", "KUBE-SVC-QKNQQNIN727HO3XU"], masquerade: "off-cluster" },
      { kind: "node-port", destination: ":32070", chains: ["KUBE-NODEPORTS", "KUBE-XLB-QKNQQNIN727HO3XU"], masquerade: "never" },
    ]);
    expect(svc.endpoints.map((e) => [e.address, e.share, e.chainVerified])).toEqual([
      ["10.244.1.3:80", 0.5, true],
      ["10.244.2.3:80", 0.5, true],
    ]);
  });

  it("03 kube-dns and an old-style NodePort (KUBE-NODEPORTS → KUBE-SVC, masquerade inside KUBE-SVC)", () => {
    const model = listingModel(ruleLines(read("03_kube-dns_and_nodeport_matrixzj_iptables-save_grep.txt")));
    expect(port(model, "kube-system/kube-dns:dns", "udp").endpoints).toMatchObject([{ address: "10.64.1.7:53", chainVerified: true, share: 1 }]);
    const web = port(model, "default/web-svc:nginx-svc-port");
    expect(web.paths).toEqual([
      { kind: "cluster-ip", destination: "10.32.0.159:8080", chains: ["KUBE-SERVICES", "KUBE-SVC-YVE4DVDYZJRPV46I"], masquerade: "off-cluster" },
      { kind: "node-port", destination: ":30080", chains: ["KUBE-NODEPORTS", "KUBE-SVC-YVE4DVDYZJRPV46I"], masquerade: "always" },
    ]);
    expect(web.endpoints).toMatchObject([{ address: "10.64.1.13:80", chainVerified: true }]);
  });

  it("04 k3s: a port named like `80-80`", () => {
    const nginx = port(listingModel(ruleLines(read("04_k3s_nginx_qwerty_md_iptables-save.txt"))), "default/nginx:80-80");
    expect(nginx.chainVerified).toBe(true);
    expect(nginx.endpoints.map((e) => [e.address, e.share, e.chainVerified])).toEqual([
      ["10.42.0.199:80", 0.5, true],
      ["10.42.0.200:80", 0.5, true],
    ]);
  });

  it("05 kind after scaling coredns to 4: SVC → SEP jumps whose comments name no endpoint", () => {
    const after = read("05_kind_coredns_scale_diff_iptables-S.txt")
      .filter((l) => /^[ +]-[AN] /.test(l))
      .map((l) => l.slice(1));
    const model = listingModel(after);
    for (const [name, protocol, portNumber] of [
      ["kube-system/kube-dns:dns-tcp", "tcp", 53],
      ["kube-system/kube-dns:metrics", "tcp", 9153],
    ] as const) {
      const dns = port(model, name, protocol);
      expect(dns.chainVerified).toBe(true);
      expect(dns.endpoints.map((e) => e.address)).toEqual([5, 6, 7, 8].map((i) => `10.244.0.${i}:${portNumber}`));
      expect(dns.endpoints.every((e) => e.chainVerified)).toBe(true);
      expect(dns.endpoints.map((e) => e.probabilityText)).toEqual(["0.25000000000", "0.33333333349", "0.50000000000", null]);
      for (const e of dns.endpoints) expect(e.share).toBeCloseTo(0.25, 8);
    }
    // The diff's context cut the DNAT rule of one endpoint chain: its address is unknown, the model says so.
    const udp = port(model, "kube-system/kube-dns:dns", "udp");
    expect(udp.endpoints).toHaveLength(4);
    expect(udp.endpoints[1]).toMatchObject({ sepChain: "KUBE-SEP-IRMT6RY5EEEBXDAY", address: "", chainVerified: false });
    expect(model.problems).toContainEqual(
      expect.objectContaining({ kind: "unparsed-rule", chain: "KUBE-SEP-IRMT6RY5EEEBXDAY", message: "endpoint chain has no DNAT rule" }),
    );
  });

  it("06 an old production node: 40 endpoints with 5-decimal probabilities", () => {
    const model = listingModel(ruleLines(read("06_prod_40_endpoints_old_5decimal_iptables-S.txt")));
    const api = port(model, "backend/neo-prod-ccapi-inner-lb:http");
    expect(api.endpoints).toHaveLength(40);
    expect(api.endpoints[0]!.probabilityText).toBe("0.02499999991");
    expect(api.endpoints[38]!.probabilityText).toBe("0.50000000000");
    expect(sum(api.endpoints.map((e) => e.share))).toBeCloseTo(1, 9);
    for (const e of api.endpoints) expect(Math.abs(e.share - 1 / 40)).toBeLessThan(1e-5);
    expect(api.endpoints.slice(0, 2).map((e) => [e.address, e.chainVerified])).toEqual([
      ["100.96.179.196:8080", true],
      ["100.97.100.231:8080", true],
    ]);
    expect(api.paths.map((p) => `${p.kind} ${p.destination} ${p.masquerade}`)).toEqual([
      "cluster-ip 100.71.52.243:80 never",
      "node-port :30720 always",
    ]);
    expect(model.problems.filter((p) => p.kind === "probability-ladder" || p.kind === "chain-name-mismatch")).toEqual([]);
  });
});
