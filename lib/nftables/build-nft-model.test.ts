import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { buildProxyModel } from "../kube-proxy/build-service-model";
import type { ProxyModel, ServicePortModel } from "../kube-proxy/types";
import { buildNftProxyModel } from "./build-nft-model";
import { nftEndpointChainNameBase, nftServicePortChainNameBase } from "../kube-proxy/chain-names";
import { parseNftRuleset } from "./parse-nft-ruleset";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../shared/corpus");
const nftFile = (name: string) => readFileSync(path.join(corpus, "nftables", name), "utf8");
const fixture = (name: string) => readFileSync(path.join(here, "fixtures", name), "utf8");

function model(source: string): ProxyModel {
  const result = parseNftRuleset(source);
  if (!result.ok) throw new Error(`${result.error.reason} at line ${result.error.line}: ${result.error.text}`);
  return buildNftProxyModel(result.ruleset);
}

function port(m: ProxyModel, name: string): ServicePortModel {
  const found = m.servicePorts.find((p) => p.name === name);
  if (!found) throw new Error(`no service port ${name}`);
  return found;
}

/** The part of a service port both modes must agree on, as a sidecar describes it. */
interface PortSummary {
  name: string;
  protocol: string;
  clusterIPs: string[];
  nodePorts: number[];
  externalDestinations: string[];
  endpoints: string[];
  externalTrafficPolicy: string;
  internalTrafficPolicy: string;
  affinitySeconds: number | null;
}

function summarize(m: ProxyModel): PortSummary[] {
  return m.servicePorts.map((p) => ({
    name: p.name,
    protocol: p.protocol,
    clusterIPs: p.clusterIPs,
    nodePorts: p.nodePorts,
    externalDestinations: [...p.externalIPs, ...p.loadBalancerIPs].sort(),
    endpoints: p.endpoints.map((e) => e.address).sort(),
    externalTrafficPolicy: p.externalTrafficPolicy,
    internalTrafficPolicy: p.internalTrafficPolicy,
    affinitySeconds: p.affinitySeconds,
  }));
}

interface SidecarEndpoint { ip: string; port: number; inRules?: boolean }
interface SidecarPort {
  servicePortName: string; protocol: string; port: number; clusterIP: string; nodePort?: number;
  externalIPs?: string[]; loadBalancerIPs?: string[]; endpoints: SidecarEndpoint[];
}
interface SidecarService {
  externalTrafficPolicy?: string; internalTrafficPolicy?: string; sessionAffinity?: string;
  sessionAffinityTimeoutSeconds?: number; ports: SidecarPort[];
}

function sidecar(name: string): SidecarService[] {
  const json = JSON.parse(readFileSync(path.join(corpus, "iptables", name), "utf8")) as { services?: SidecarService[]; servicesAfterStep?: SidecarService[] };
  return json.services ?? json.servicesAfterStep ?? [];
}

function expectedFrom(services: SidecarService[]): PortSummary[] {
  return services
    .flatMap((s) =>
      s.ports.map((p) => ({
        name: p.servicePortName,
        protocol: p.protocol.toLowerCase(),
        clusterIPs: [`${p.clusterIP}:${p.port}`],
        nodePorts: p.nodePort ? [p.nodePort] : [],
        externalDestinations: [...(p.externalIPs ?? []), ...(p.loadBalancerIPs ?? [])].map((ip) => `${ip}:${p.port}`).sort(),
        endpoints: p.endpoints.filter((e) => e.inRules !== false).map((e) => `${e.ip}:${e.port}`).sort(),
        externalTrafficPolicy: s.externalTrafficPolicy ?? "Cluster",
        internalTrafficPolicy: s.internalTrafficPolicy ?? "Cluster",
        affinitySeconds: s.sessionAffinity === "ClientIP" ? (s.sessionAffinityTimeoutSeconds ?? 10800) : null,
      })),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe("buildNftProxyModel on 001, the services of iptables 006", () => {
  const m = model(nftFile("001_TestOverallNFTablesRules.nft"));

  it("gives the service ports, IPs, node ports, endpoints and policies the iptables sidecar describes", () => {
    expect(m.mode).toBe("nftables");
    expect(m.family).toBe("ipv4");
    expect(summarize(m)).toEqual(expectedFrom(sidecar("006_TestOverallIPTablesRules.json")));
  });

  it("finds nothing wrong in kube-proxy's own output", () => {
    expect(m.problems).toEqual([]);
    expect(m.servicePorts.every((p) => p.chainVerified && p.endpoints.every((e) => e.chainVerified))).toBe(true);
  });

  it("balances uniformly: no probability, share 1/N", () => {
    const svc4 = port(m, "ns4/svc4:p80");
    expect(svc4.endpoints.map((e) => [e.address, e.probability, e.probabilityText, e.share, e.via])).toEqual([
      ["10.180.0.4:80", null, null, 0.5, "cluster"],
      ["10.180.0.5:80", null, null, 0.5, "cluster"],
    ]);
    expect(svc4.endpoints.every((e) => e.packets === 0 && e.bytes === 0)).toBe(true);
  });

  it("tells a load-balancer IP with source ranges by its firewall chain, and follows it before DNAT", () => {
    const svc5 = port(m, "ns5/svc5:p80");
    expect(svc5.loadBalancerIPs).toEqual(["5.6.7.8:80"]);
    expect(svc5.fwChain).toBe("firewall-HVFWP5L3-ns5/svc5/tcp/p80");
    expect(svc5.paths.find((p) => p.kind === "load-balancer")).toEqual({
      kind: "load-balancer",
      destination: "5.6.7.8:80",
      chains: ["firewall-check", "firewall-HVFWP5L3-ns5/svc5/tcp/p80", "services", "external-HVFWP5L3-ns5/svc5/tcp/p80", "service-HVFWP5L3-ns5/svc5/tcp/p80"],
      masquerade: "always",
    });
    expect(svc5.affinitySeconds).toBe(10800);
  });

  it("reads masquerade per path: off-cluster for cluster IPs, always for Cluster policy, never for Local", () => {
    expect(port(m, "ns1/svc1:p80").paths).toEqual([
      { kind: "cluster-ip", destination: "172.30.0.41:80", chains: ["services", "service-ULMVA6XW-ns1/svc1/tcp/p80"], masquerade: "off-cluster" },
    ]);
    const svc3 = port(m, "ns3/svc3:p80").paths.find((p) => p.kind === "node-port");
    expect(svc3).toMatchObject({ destination: ":3003", masquerade: "always" });
    // eTP=Local without a local endpoint: the external chain has no final goto, like KUBE-EXT without KUBE-SVL.
    const svc2 = port(m, "ns2/svc2:p80");
    expect(svc2.paths.find((p) => p.kind === "node-port")).toEqual({
      kind: "node-port", destination: ":3001", chains: ["services", "external-42NFTM6N-ns2/svc2/tcp/p80"], masquerade: "never",
    });
  });

  it("turns the no-endpoints maps into REJECT and DROP verdicts", () => {
    expect(port(m, "ns6/svc6:p80")).toMatchObject({
      svcChain: null, endpoints: [], paths: [], clusterIPs: ["172.30.0.46:80"],
      noEndpoints: [{ action: "REJECT", reason: "has no endpoints", destination: "172.30.0.46:80" }],
    });
    expect(port(m, "ns2/svc2:p80").noEndpoints).toEqual([
      { action: "DROP", reason: "has no local endpoints", destination: "1.2.3.4:80" },
      { action: "DROP", reason: "has no local endpoints", destination: "192.168.99.22:80" },
      { action: "DROP", reason: "has no local endpoints", destination: ":3001" },
    ]);
  });

  it("gives the listing of the same state, with or without handles, the same model", () => {
    expect(model(fixture("001-listing.nft"))).toEqual(m);
    expect(model(fixture("001-listing-handles.nft"))).toEqual(m);
  });

  it("finds the kube-proxy table in a node's whole ruleset", () => {
    expect(model(fixture("ruleset-with-iptables-nft.nft"))).toEqual(m);
  });
});

describe("the same services in both modes", () => {
  /**
   * What both modes must agree on for one service port. Left out, because nftables mode does not say it: which of a
   * service's non-cluster IPs are load-balancer IPs when no source ranges give it a firewall chain (so both lists are
   * compared as one), the localhost node-port paths (`127.0.0.0/8:PORT`, iptables mode only) and the probabilities of
   * a ladder nftables does not have (shares are compared instead).
   */
  function comparable(m: ProxyModel) {
    return m.servicePorts.map((p) => ({
      identity: [p.name, p.namespace, p.service, p.portName, p.protocol],
      clusterIPs: p.clusterIPs,
      nodePorts: p.nodePorts,
      externalDestinations: [...p.externalIPs, ...p.loadBalancerIPs].sort(),
      endpoints: p.endpoints.map((e) => [e.address, e.share, e.via, e.chainVerified]),
      policies: [p.externalTrafficPolicy, p.internalTrafficPolicy, p.affinitySeconds],
      hasChains: [p.svcChain !== null, p.svlChain !== null, p.extChain !== null, p.fwChain !== null, p.chainVerified],
      noEndpoints: p.noEndpoints.map((n) => `${n.action} ${n.reason} ${n.destination}`).sort(),
      paths: p.paths
        .filter((path) => !path.destination.startsWith("127.0.0.0/8:"))
        .map((path) => `${path.kind === "load-balancer" ? "external-ip" : path.kind} ${path.destination} ${path.masquerade}`)
        .sort(),
    }));
  }

  it("iptables 006 and nftables 001 give the same service ports", () => {
    const parsed = parseIptablesSave(readFileSync(path.join(corpus, "iptables", "006_TestOverallIPTablesRules.txt"), "utf8"));
    if (!parsed.ok) throw new Error(parsed.error.reason);
    const iptables = buildProxyModel(parsed.dump);
    const nftables = model(nftFile("001_TestOverallNFTablesRules.nft"));
    expect(nftables.servicePorts.map((p) => p.name)).toEqual(iptables.servicePorts.map((p) => p.name));
    expect(comparable(nftables)).toEqual(comparable(iptables));
  });
});

describe("buildNftProxyModel follows the evolution of iptables 007–015", () => {
  const emptied = (services: SidecarService[]) =>
    services.map((s) => ({ ...s, ports: s.ports.map((p) => (p.servicePortName === "ns3/svc3:p80" ? { ...p, endpoints: [] } : p)) }));
  const steps: [string, SidecarService[]][] = [
    ["002_TestSyncProxyRulesRepeated_01_initial.nft", sidecar("007_TestSyncProxyRulesRepeated_01_initial_full.json")],
    ["003_TestSyncProxyRulesRepeated_02_add_svc3.nft", sidecar("008_TestSyncProxyRulesRepeated_02_partial_add_svc3.json")],
    ["004_TestSyncProxyRulesRepeated_03_delete_svc2_stale_chains_flushed.nft", sidecar("009_TestSyncProxyRulesRepeated_03_partial_delete_svc2.json")],
    ["005_TestSyncProxyRulesRepeated_04_stale_chains_deleted.nft", sidecar("009_TestSyncProxyRulesRepeated_03_partial_delete_svc2.json")],
    ["006_TestSyncProxyRulesRepeated_05_add_svc4_no_endpoints.nft", sidecar("010_TestSyncProxyRulesRepeated_04_partial_svc4_no_endpoints.json")],
    ["007_TestSyncProxyRulesRepeated_06_svc4_endpoints.nft", sidecar("011_TestSyncProxyRulesRepeated_05_partial_svc4_endpoints_added.json")],
    ["008_TestSyncProxyRulesRepeated_07_svc3_endpoint_changed.nft", sidecar("012_TestSyncProxyRulesRepeated_06_partial_svc3_endpoint_changed.json")],
    ["009_TestSyncProxyRulesRepeated_08_svc3_endpoint_added.nft", sidecar("013_TestSyncProxyRulesRepeated_07_partial_svc3_endpoint_added.json")],
    // nftables mode's test empties svc3's endpoints where iptables mode's runs a sync without changes.
    ["010_TestSyncProxyRulesRepeated_09_svc3_endpoints_emptied.nft", emptied(sidecar("014_TestSyncProxyRulesRepeated_08_partial_no_changes.json"))],
    ["011_TestSyncProxyRulesRepeated_10_svc3_endpoints_restored.nft", sidecar("014_TestSyncProxyRulesRepeated_08_partial_no_changes.json")],
  ];

  it.each(steps)("%s", (file, services) => {
    expect(summarize(model(nftFile(file)))).toEqual(expectedFrom(services));
  });

  it("reports the flushed chains of a deleted service as stale orphans, and nothing once they are deleted", () => {
    const flushed = model(nftFile(steps[2]![0]));
    expect(flushed.problems.map((p) => [p.kind, p.chain])).toEqual([
      ["orphan-chain", "endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080"],
      ["orphan-chain", "service-MHHHYRWA-ns2/svc2/tcp/p8080"],
    ]);
    expect(flushed.problems[1]!.message).toContain("stale chain");
    expect(model(nftFile(steps[3]![0])).problems).toEqual([]);
  });

  it("rejects traffic to svc3 once its endpoints are gone", () => {
    expect(port(model(nftFile(steps[8]![0])), "ns3/svc3:p80").noEndpoints).toEqual([
      { action: "REJECT", reason: "has no endpoints", destination: "172.30.0.43:80" },
    ]);
  });
});

describe("buildNftProxyModel with counters", () => {
  const m = model(fixture("001-listing-counters.nft"));

  it("counts new connections per endpoint from the DNAT rules' counters", () => {
    expect(port(m, "ns1/svc1:p80")).toMatchObject({ packets: 3, endpoints: [{ address: "10.180.0.1:80", packets: 3, bytes: 180 }] });
    const svc4 = port(m, "ns4/svc4:p80");
    expect(svc4.packets).toBe(8);
    expect(svc4.endpoints.reduce((n, e) => n + e.packets, 0)).toBe(8);
    expect(port(m, "ns5/svc5:p80").packets).toBe(2);
    expect(port(m, "ns2/svc2:p80").packets).toBe(0);
  });

  it("counts with the balancing rule's counter when endpoint rules carry none", () => {
    const source = nftFile("001_TestOverallNFTablesRules.nft").replace(
      "p80 numgen random mod 2 vmap",
      "p80 counter packets 7 bytes 420 numgen random mod 2 vmap",
    );
    expect(port(model(source), "ns4/svc4:p80").packets).toBe(7);
  });
});

describe("buildNftProxyModel reports what kube-proxy would not write", () => {
  const original = nftFile("001_TestOverallNFTablesRules.nft");

  it("a goto to a chain that does not exist", () => {
    const source = original.replace("add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80\n", "")
      .replace(/^add rule ip kube-proxy endpoint-5OJB2KTY.*\n/gm, "");
    const m = model(source);
    expect(m.problems.map((p) => [p.kind, p.chain])).toEqual([["dangling-jump", "service-ULMVA6XW-ns1/svc1/tcp/p80"]]);
    // The endpoint is still shown, from what its chain name says.
    expect(port(m, "ns1/svc1:p80").endpoints[0]).toMatchObject({ address: "10.180.0.1:80", chainVerified: true });
  });

  it("a chain whose hash is not kube-proxy's", () => {
    const m = model(original.replaceAll("service-ULMVA6XW-ns1/svc1/tcp/p80", "service-ULMVA6XX-ns1/svc1/tcp/p80"));
    expect(port(m, "ns1/svc1:p80").chainVerified).toBe(false);
    expect(m.problems.map((p) => [p.kind, p.chain])).toEqual([["chain-name-mismatch", "service-ULMVA6XX-ns1/svc1/tcp/p80"]]);
  });

  it("an endpoint chain that DNATs somewhere its name does not say", () => {
    const m = model(original.replace("dnat to 10.180.0.1:80", "dnat to 10.180.0.9:80"));
    expect(port(m, "ns1/svc1:p80").endpoints[0]).toMatchObject({ address: "10.180.0.9:80", chainVerified: false });
    expect(m.problems.map((p) => p.kind)).toEqual(["chain-name-mismatch"]);
  });

  it("a verdict map that leaves numbers unmapped", () => {
    const m = model(original.replace("p80 numgen random mod 2 vmap", "p80 numgen random mod 3 vmap"));
    expect(port(m, "ns4/svc4:p80").endpoints.map((e) => e.share)).toEqual([1 / 3, 1 / 3]);
    expect(m.problems).toMatchObject([{ kind: "probability-ladder", chain: "service-LAUZTJTB-ns4/svc4/tcp/p80" }]);
  });

  it("a rule in a service chain that is not one of kube-proxy's shapes", () => {
    const m = model(`${original}add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 tcp dport 80 log\n`);
    expect(m.problems).toMatchObject([{ kind: "unparsed-rule", chain: "service-ULMVA6XW-ns1/svc1/tcp/p80", line: original.split("\n").length }]);
  });
});

describe("buildNftProxyModel on policies and families the corpus lacks", () => {
  it("follows externalTrafficPolicy and internalTrafficPolicy Local to the local- chain", () => {
    const local = "local-42NFTM6N-ns2/svc2/tcp/p80";
    const endpoint = "endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80";
    const source = nftFile("001_TestOverallNFTablesRules.nft")
      .replace(/^add element ip kube-proxy no-endpoint-.*ns2\/svc2.*\n/gm, "")
      .replace("172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80", `172.30.0.42 . tcp . 80 : goto ${local}`)
      .concat(
        `add chain ip kube-proxy ${local}\n`,
        `add rule ip kube-proxy ${local} numgen random mod 1 vmap { 0 : goto ${endpoint} }\n`,
        `add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 goto ${local}\n`,
      );
    const svc2 = port(model(source), "ns2/svc2:p80");
    expect(svc2).toMatchObject({ svlChain: local, externalTrafficPolicy: "Local", internalTrafficPolicy: "Local", noEndpoints: [] });
    expect(svc2.paths.find((p) => p.kind === "node-port")?.chains).toEqual(["services", "external-42NFTM6N-ns2/svc2/tcp/p80", local]);
    expect(svc2.paths.find((p) => p.kind === "cluster-ip")).toMatchObject({ chains: ["services", local], masquerade: "never" });
    expect(svc2.endpoints.map((e) => [e.address, e.via])).toEqual([["10.180.0.2:80", "cluster"]]);
  });

  it("takes the affinity timeout from the update statement when the set has none", () => {
    const source = nftFile("001_TestOverallNFTablesRules.nft")
      .replace("flags dynamic,timeout ; timeout 10800s ; }", "flags dynamic,timeout ; }")
      .replace("{ ip saddr }", "{ ip saddr timeout 3h }");
    expect(source).toContain("timeout 3h");
    expect(port(model(source), "ns5/svc5:p80").affinitySeconds).toBe(10800);
  });

  it("reads an ip6 kube-proxy table, with bracketed endpoint addresses", () => {
    const spn = "ns1/svc1:p80";
    const svc = `service-${nftServicePortChainNameBase(spn, "tcp")}`;
    const eps = ["[fd00:10:180::1]:80", "[fd00:10:180::2]:80"].map((a) => `endpoint-${nftEndpointChainNameBase(spn, "tcp", a)}`);
    const source = [
      "add table ip6 kube-proxy",
      "add set ip6 kube-proxy cluster-ips { type ipv6_addr ; }",
      "add map ip6 kube-proxy service-ips { type ipv6_addr . inet_proto . inet_service : verdict ; }",
      "add chain ip6 kube-proxy services",
      "add chain ip6 kube-proxy mark-for-masquerade",
      `add chain ip6 kube-proxy ${svc}`,
      `add rule ip6 kube-proxy ${svc} ip6 daddr fd00:30::41 ip6 saddr != fd00:10::/64 jump mark-for-masquerade`,
      `add rule ip6 kube-proxy ${svc} numgen random mod 2 vmap { 0 : goto ${eps[0]} , 1 : goto ${eps[1]} }`,
      ...eps.flatMap((ep, i) => [`add chain ip6 kube-proxy ${ep}`, `add rule ip6 kube-proxy ${ep} meta l4proto tcp dnat to [fd00:10:180::${i + 1}]:80`]),
      "add element ip6 kube-proxy cluster-ips { fd00:30::41 }",
      `add element ip6 kube-proxy service-ips { fd00:30::41 . tcp . 80 : goto ${svc} }`,
      "",
    ].join("\n");
    expect(eps[0]).toContain("__fd00.10.180..1/80");
    const m = model(source);
    expect(m.family).toBe("ipv6");
    expect(m.problems).toEqual([]);
    expect(port(m, spn)).toMatchObject({
      clusterIPs: ["[fd00:30::41]:80"],
      paths: [{ kind: "cluster-ip", destination: "[fd00:30::41]:80", masquerade: "off-cluster" }],
      endpoints: [
        { address: "[fd00:10:180::1]:80", chainVerified: true, share: 0.5 },
        { address: "[fd00:10:180::2]:80", chainVerified: true, share: 0.5 },
      ],
    });
  });

  it("gives an empty model when the ruleset has no kube-proxy table", () => {
    expect(model("table inet filter {\n chain input {\n  type filter hook input priority 0; policy accept;\n }\n}\n")).toEqual({
      mode: "nftables", family: "ipv4", servicePorts: [], problems: [],
    });
  });
});
