import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { buildProxyModel } from "./build-service-model";
import { endpointChainName, servicePortChainName } from "./chain-names";
import type { ProxyModel, ServicePortModel } from "./types";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../shared/corpus/iptables");
const seed = path.resolve(here, "../../tests/fixtures/seed");

function modelOf(text: string): ProxyModel {
  const parsed = parseIptablesSave(text, { defaultTable: "nat" });
  if (!parsed.ok) throw new Error(`${parsed.error.reason} at line ${parsed.error.line}`);
  return buildProxyModel(parsed.dump);
}

interface SidecarEndpoint {
  ip: string;
  port: number;
  inRules?: boolean;
  sepChain?: string;
  chain?: string;
}
interface SidecarPort {
  name: string;
  protocol?: string;
  port: number;
  servicePortName?: string;
  clusterIP?: string | null;
  nodePort?: number;
  externalIPs?: string[];
  loadBalancerIPs?: string[];
  chains?: Partial<Record<"svc" | "svl" | "ext" | "fw", string>>;
  endpoints?: SidecarEndpoint[];
}
interface SidecarService {
  namespace: string;
  name: string;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  sessionAffinity?: string;
  sessionAffinityTimeoutSeconds?: number;
  ports: SidecarPort[];
}
interface Sidecar {
  kind: string;
  family?: string;
  differences_vs_006?: string[];
  services?: SidecarService[];
  servicesAfterStep?: SidecarService[];
}

/** The corpus dumps that are whole rulesets (007–015 except 007 and 015 are partial-sync restore inputs). */
const wholeDumps = readdirSync(corpus)
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ file: f.replace(/\.json$/, ".txt"), sidecar: JSON.parse(readFileSync(path.join(corpus, f), "utf8")) as Sidecar }))
  .filter(({ sidecar }) => !/partial sync/i.test(sidecar.kind) || /full sync/i.test(sidecar.kind));

/** Synthetic inputs of the upstream sorter test: hand-mixed rule styles jump to a KUBE-MARK-DROP they never declare. */
const SORTER_FIXTURES = new Set(["002_TestSortIPTablesRules_basic_input.txt", "003_TestSortIPTablesRules_basic_output.txt"]);

/** `"192.168.99.11 (nat) / 192.168.99.22 (filter DROP)"` (sorter fixtures' notes) → the address the nat table holds. */
function natAddress(value: string): string {
  return /^(\S+) \(nat\)/.exec(value)?.[1] ?? value;
}

/** A VIP with the service port, as the model lists it (`10.0.0.1:80`, `[fd00::1]:80`). */
function vip(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function host(destination: string): string {
  const colon = destination.lastIndexOf(":");
  return destination.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
}

describe("the model of every whole dump in the corpus matches its sidecar", () => {
  it("covers the whole dumps: full syncs 001–007, 015, 016 and the legacy 101–120", () => {
    expect(wholeDumps.map((d) => d.file.slice(0, 3))).toEqual(
      ["001", "002", "003", "004", "005", "006", "007", "015", "016", ...Array.from({ length: 20 }, (_, i) => String(101 + i))],
    );
  });

  for (const { file, sidecar } of wholeDumps) {
    it(file, () => {
      const model = modelOf(readFileSync(path.join(corpus, file), "utf8"));
      expect(model.mode).toBe("iptables");
      expect(model.family).toBe(sidecar.family?.startsWith("IPv6") ? "ipv6" : "ipv4");
      const expectedNames = new Set<string>();

      for (const service of sidecar.services ?? sidecar.servicesAfterStep ?? []) {
        for (const port of service.ports) {
          if (port.protocol === undefined) continue; // a health-check note, not a service port
          const spn = port.servicePortName ?? `${service.namespace}/${service.name}${port.name ? `:${port.name}` : ""}`;
          const protocol = port.protocol.toLowerCase();
          const inRules = uniqueBy((port.endpoints ?? []).filter((e) => e.inRules !== false), (e) => e.sepChain ?? e.chain ?? e.ip);
          if (inRules.length === 0 && port.clusterIP == null) continue; // sorter fixture: a port with no rule at all
          expectedNames.add(`${spn} ${protocol}`);
          const found = model.servicePorts.find((p) => p.name === spn && p.protocol === protocol);
          expect(found, `${spn} ${protocol}`).toBeDefined();
          const actual = found!;
          if (port.clusterIP != null) expect(actual.clusterIPs).toContain(vip(port.clusterIP, port.port));

          if (inRules.length === 0) {
            // Only the filter table speaks of it: every address it had is refused there.
            expect(actual.endpoints).toEqual([]);
            expect(actual.svcChain).toBeNull();
            const refused = actual.noEndpoints.map((v) => host(v.destination));
            for (const ip of [port.clusterIP, ...(port.externalIPs ?? []), ...(port.loadBalancerIPs ?? [])]) {
              if (ip != null) expect(refused, `${spn} ${ip}`).toContain(natAddress(ip));
            }
            continue;
          }

          expect(actual.chainVerified, spn).toBe(true);
          const endpoints = actual.endpoints.map((e) => `${e.address} ${e.sepChain}`).sort();
          const expected = inRules
            .map((e) => `${e.ip.includes(":") ? `[${e.ip}]` : e.ip}:${e.port} ${e.sepChain ?? e.chain}`)
            .sort();
          expect(endpoints, spn).toEqual(expected);
          expect(actual.endpoints.every((e) => e.chainVerified), spn).toBe(true);
          for (const via of ["cluster", "local"] as const) {
            const shares = actual.endpoints.filter((e) => e.via === via).map((e) => e.share);
            if (shares.length > 0) expect(sum(shares), `${spn} ${via}`).toBeCloseTo(1, 9);
          }

          expectChains(actual, port);
          expect(actual.nodePorts, spn).toEqual(port.nodePort === undefined ? [] : [port.nodePort]);
          expect(actual.externalIPs, spn).toEqual((port.externalIPs ?? []).map((ip) => vip(natAddress(ip), port.port)));
          expect(actual.loadBalancerIPs, spn).toEqual((port.loadBalancerIPs ?? []).map((ip) => vip(ip, port.port)));
          expect(actual.externalTrafficPolicy, spn).toBe(service.externalTrafficPolicy ?? "Cluster");
          expect(actual.internalTrafficPolicy, spn).toBe(service.internalTrafficPolicy ?? "Cluster");
          // 005 is 006 without the affinity rules (its sidecar says so).
          const affinityWritten =
            service.sessionAffinity === "ClientIP" && !(sidecar.differences_vs_006 ?? []).some((d) => d.includes("no session affinity"));
          expect(actual.affinitySeconds, spn).toBe(affinityWritten ? (service.sessionAffinityTimeoutSeconds ?? 10800) : null);
        }
      }

      for (const port of model.servicePorts) expect(expectedNames, "unexpected service port").toContain(`${port.name} ${port.protocol}`);
      if (SORTER_FIXTURES.has(file)) {
        expect(model.problems.map((p) => `${p.kind} ${p.chain}`)).toEqual(["dangling-jump KUBE-MARK-DROP"]);
      } else {
        expect(model.problems).toEqual([]);
      }
    });
  }
});

function expectChains(actual: ServicePortModel, port: SidecarPort): void {
  const chains = port.chains ?? {};
  if (actual.svcChain !== null) expect(actual.svcChain).toBe(chains.svc);
  if (actual.svlChain !== null) expect(actual.svlChain).toBe(chains.svl);
  if (actual.extChain !== null) expect(actual.extChain).toBe(chains.ext);
  if (actual.fwChain !== null) expect(actual.fwChain).toBe(chains.fw);
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && seen.add(key(item)) !== undefined);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

describe("paths, masquerade and verdicts (TestOverallIPTablesRules)", () => {
  const model = modelOf(readFileSync(path.join(corpus, "006_TestOverallIPTablesRules.txt"), "utf8"));
  const port = (name: string) => model.servicePorts.find((p) => p.name === name)!;

  it("orders service ports by name", () => {
    expect(model.servicePorts.map((p) => p.name)).toEqual(["ns1/svc1:p80", "ns2/svc2:p80", "ns3/svc3:p80", "ns4/svc4:p80", "ns5/svc5:p80", "ns6/svc6:p80"]);
  });

  it("follows a LoadBalancer with source ranges through KUBE-FW and KUBE-EXT", () => {
    expect(port("ns5/svc5:p80").paths).toEqual([
      { kind: "cluster-ip", destination: "172.30.0.45:80", chains: ["KUBE-SERVICES", "KUBE-SVC-NUKIZ6OKUXPJNT4C"], masquerade: "off-cluster" },
      {
        kind: "load-balancer",
        destination: "5.6.7.8:80",
        chains: ["KUBE-SERVICES", "KUBE-FW-NUKIZ6OKUXPJNT4C", "KUBE-EXT-NUKIZ6OKUXPJNT4C", "KUBE-SVC-NUKIZ6OKUXPJNT4C"],
        masquerade: "always",
      },
      {
        kind: "node-port",
        destination: "127.0.0.0/8:3002",
        chains: ["KUBE-NODEPORTS", "KUBE-EXT-NUKIZ6OKUXPJNT4C", "KUBE-SVC-NUKIZ6OKUXPJNT4C"],
        masquerade: "always",
      },
      { kind: "node-port", destination: ":3002", chains: ["KUBE-NODEPORTS", "KUBE-EXT-NUKIZ6OKUXPJNT4C", "KUBE-SVC-NUKIZ6OKUXPJNT4C"], masquerade: "always" },
    ]);
  });

  it("keeps client addresses under externalTrafficPolicy=Local and drops without local endpoints", () => {
    const svc2 = port("ns2/svc2:p80");
    const external = svc2.paths.filter((p) => p.kind !== "cluster-ip");
    expect(external.map((p) => p.chains.at(-1))).toEqual(Array(4).fill("KUBE-EXT-GNZBNJ2PO5MGZ6GT"));
    expect(external.every((p) => p.masquerade === "never")).toBe(true);
    expect(svc2.noEndpoints).toEqual([
      { action: "DROP", reason: "has no local endpoints", destination: "192.168.99.22:80" },
      { action: "DROP", reason: "has no local endpoints", destination: "1.2.3.4:80" },
      { action: "DROP", reason: "has no local endpoints", destination: ":3001" },
    ]);
  });

  it("models a service without endpoints from the filter table", () => {
    expect(port("ns6/svc6:p80")).toMatchObject({
      svcChain: null,
      chainVerified: true,
      clusterIPs: ["172.30.0.46:80"],
      endpoints: [],
      paths: [],
      noEndpoints: [{ action: "REJECT", reason: "has no endpoints", destination: "172.30.0.46:80" }],
    });
  });

  it("does not take affinity lookups for the ladder's catch-all", () => {
    const [endpoint] = port("ns5/svc5:p80").endpoints;
    expect(endpoint).toMatchObject({ address: "10.180.0.3:80", probabilityText: null, share: 1 });
    expect(port("ns5/svc5:p80").affinitySeconds).toBe(10800);
  });
});

describe("the seed's kind node", () => {
  const clusterIP = modelOf(readFileSync(path.join(seed, "clusterip.iptables-save.txt"), "utf8"));
  const nodePort = modelOf(readFileSync(path.join(seed, "nodeport.iptables-save.txt"), "utf8"));
  const web = (model: ProxyModel) => model.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport")!;

  it("has kube-proxy's own services, every name verified, no problems", () => {
    for (const model of [clusterIP, nodePort]) {
      expect(model.servicePorts.map((p) => `${p.name} ${p.protocol}`)).toEqual([
        "default/kubernetes:https tcp",
        "default/svc-clusterip:svc-webport tcp",
        "kube-system/kube-dns:dns udp",
        "kube-system/kube-dns:dns-tcp tcp",
        "kube-system/kube-dns:metrics tcp",
        "kube-system/kube-ops-view:http tcp",
      ]);
      for (const port of model.servicePorts) {
        expect(port.chainVerified).toBe(true);
        expect(port.endpoints.every((e) => e.chainVerified)).toBe(true);
      }
      expect(model.problems).toEqual([]);
    }
    const dns = clusterIP.servicePorts.find((p) => p.name === "kube-system/kube-dns:dns")!;
    expect(dns.endpoints.map((e) => e.address)).toEqual(["10.10.0.2:53", "10.10.0.3:53"]);
    expect(clusterIP.servicePorts.find((p) => p.name === "kube-system/kube-ops-view:http")!.nodePorts).toEqual([30000]);
  });

  it("spreads svc-clusterip over three pods, a third each, as the curl test counted 35/33/32", () => {
    for (const model of [clusterIP, nodePort]) {
      const port = web(model);
      expect(port.svcChain).toBe("KUBE-SVC-KBDEBIL6IU6WL7RF");
      expect(port.clusterIPs).toEqual(["10.200.1.201:9000"]);
      expect(port.endpoints.map((e) => [e.address, e.sepChain, e.probabilityText, e.packets])).toEqual([
        ["10.10.1.2:80", "KUBE-SEP-TBW2IYJKUCAC7GB3", "0.33333333349", 35],
        ["10.10.2.2:80", "KUBE-SEP-DOIEFYKPESCDTYCH", "0.50000000000", 33],
        ["10.10.3.3:80", "KUBE-SEP-K7ALM6KJRBAYOHKX", null, 32],
      ]);
      for (const endpoint of port.endpoints) expect(endpoint.share).toBeCloseTo(1 / 3, 8);
      expect(port.packets).toBe(100);
    }
    expect(web(clusterIP).paths).toEqual([
      { kind: "cluster-ip", destination: "10.200.1.201:9000", chains: ["KUBE-SERVICES", "KUBE-SVC-KBDEBIL6IU6WL7RF"], masquerade: "off-cluster" },
    ]);
    expect(web(clusterIP).nodePorts).toEqual([]);
  });

  it("adds the KUBE-NODEPORTS → KUBE-EXT path for node port 30007", () => {
    const port = web(nodePort);
    expect(port.nodePorts).toEqual([30007]);
    expect(port.extChain).toBe("KUBE-EXT-KBDEBIL6IU6WL7RF");
    expect(port.paths.filter((p) => p.kind === "node-port")).toEqual([
      {
        kind: "node-port",
        destination: "127.0.0.0/8:30007",
        chains: ["KUBE-NODEPORTS", "KUBE-EXT-KBDEBIL6IU6WL7RF", "KUBE-SVC-KBDEBIL6IU6WL7RF"],
        masquerade: "always",
      },
      { kind: "node-port", destination: ":30007", chains: ["KUBE-NODEPORTS", "KUBE-EXT-KBDEBIL6IU6WL7RF", "KUBE-SVC-KBDEBIL6IU6WL7RF"], masquerade: "always" },
    ]);
    expect(port.externalTrafficPolicy).toBe("Cluster");
  });
});

describe("comments that cannot be trusted alone", () => {
  const seedDump = readFileSync(path.join(seed, "clusterip.iptables-save.txt"), "utf8");

  it("names and verifies every chain in large-cluster mode (no comments on KUBE-SEP rules nor SVC → SEP jumps)", () => {
    const large = seedDump
      .split("\n")
      .map((l) => (/ -A KUBE-SEP-| -j KUBE-SEP-/.test(l) ? l.replace(/ -m comment --comment "[^"]*"/, "") : l))
      .join("\n");
    expect(large).not.toContain('--comment "default/svc-clusterip:svc-webport -> ');
    const model = modelOf(large);
    const port = model.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport")!;
    expect(port.chainVerified).toBe(true);
    expect(port.endpoints.map((e) => [e.address, e.chainVerified])).toEqual([
      ["10.10.1.2:80", true],
      ["10.10.2.2:80", true],
      ["10.10.3.3:80", true],
    ]);
    expect(model.problems).toEqual([]);
  });

  it("says so when no rule names the service port at all", () => {
    const bare = seedDump.replace(/ -m comment --comment "[^"]*"/g, "");
    const model = modelOf(bare);
    const port = model.servicePorts.find((p) => p.svcChain === "KUBE-SVC-KBDEBIL6IU6WL7RF")!;
    expect(port).toMatchObject({ name: "", chainVerified: false, clusterIPs: ["10.200.1.201:9000"] });
    expect(port.endpoints.map((e) => e.address)).toEqual(["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"]);
    expect(model.problems).toContainEqual(
      expect.objectContaining({ kind: "chain-name-mismatch", chain: "KUBE-SVC-KBDEBIL6IU6WL7RF", message: "no rule names the service port of this chain, so its name cannot be verified" }),
    );
  });

  it("reads older `ns/svc:` names, hashed with the colon", () => {
    const spn = "default/old-svc:";
    const svc = servicePortChainName("KUBE-SVC-", spn, "tcp");
    const sep = endpointChainName(spn, "tcp", "10.244.1.5:8080");
    const dump = [
      "*nat",
      ":KUBE-SERVICES - [0:0]",
      `:${svc} - [0:0]`,
      `:${sep} - [0:0]`,
      ":KUBE-MARK-MASQ - [0:0]",
      `-A KUBE-SERVICES -d 10.96.7.7/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j ${svc}`,
      `-A ${svc} -m comment --comment "${spn}" -j ${sep}`,
      `-A ${sep} -s 10.244.1.5/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`,
      `-A ${sep} -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination 10.244.1.5:8080`,
      "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
      "COMMIT",
    ].join("\n");
    const model = modelOf(dump);
    expect(model.servicePorts).toMatchObject([
      { name: "default/old-svc:", namespace: "default", service: "old-svc", portName: "", chainVerified: true, endpoints: [{ address: "10.244.1.5:8080", chainVerified: true }] },
    ]);
    expect(model.problems).toEqual([]);
  });
});
