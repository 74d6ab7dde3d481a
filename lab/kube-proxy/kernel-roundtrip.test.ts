// Runs as root: loads rendered rules into a throwaway network namespace and reads back what the kernel kept.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import { buildProxyModel } from "../../lib/kube-proxy/build-service-model";
import type { ProxyModel, ServicePortModel } from "../../lib/kube-proxy/types";
import { execInNetns, withNetns } from "../netns/netns";
import { ensureNfacctCounters } from "../netns/nfacct";
import { IPTABLES_CORPUS_DIR } from "./corpus-fixtures";
import { NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS } from "./proxier-settings";
import { renderNatRules, renderPartialSync } from "./render-iptables";
import { canonicalRestoreText } from "./restore-sections";
import type { NodeConfig, ServiceSpec } from "./types";

/** The seed's kind worker: pod CIDR 10.10.0.0/16, a real iptables with --random-fully. */
const worker: NodeConfig = {
  nodeName: "myk8s-worker",
  nodeIPs: ["172.18.0.3"],
  podCIDR: "10.10.0.0/16",
  masqueradeRandomFully: true,
};

const remote = (ip: string, port: number) => ({ ip, port, ready: true, nodeName: "myk8s-worker2" });

const services: ServiceSpec[] = [
  // The seed's service: three traefik/whoami pods behind 10.200.1.201:9000.
  {
    namespace: "default",
    name: "svc-clusterip",
    type: "ClusterIP",
    clusterIP: "10.200.1.201",
    ports: [{ name: "svc-webport", protocol: "TCP", port: 9000, targetPort: 80, endpoints: ["10.10.1.2", "10.10.2.2", "10.10.3.3"].map((ip) => remote(ip, 80)) }],
  },
  // kube-ops-view as the seed's `iptables -t nat -S` shows it: a NodePort 30000.
  {
    namespace: "kube-system",
    name: "kube-ops-view",
    type: "NodePort",
    clusterIP: "10.200.1.253",
    ports: [{ name: "http", protocol: "TCP", port: 8080, nodePort: 30000, endpoints: [remote("10.10.0.5", 8080)] }],
  },
  // A LoadBalancer with source ranges, ClientIP affinity and externalTrafficPolicy Local (one local endpoint).
  {
    namespace: "shop",
    name: "storefront",
    type: "LoadBalancer",
    clusterIP: "10.200.7.7",
    loadBalancerIPs: ["172.18.255.200"],
    loadBalancerSourceRanges: ["203.0.113.0/24"],
    externalTrafficPolicy: "Local",
    healthCheckNodePort: 32000,
    sessionAffinity: "ClientIP",
    ports: [
      {
        name: "https",
        protocol: "TCP",
        port: 443,
        nodePort: 30443,
        endpoints: [{ ip: "10.10.1.9", port: 8443, ready: true, nodeName: "myk8s-worker" }, remote("10.10.2.9", 8443)],
      },
    ],
  },
  // A UDP port and a service without endpoints (filter-table REJECT only).
  {
    namespace: "kube-system",
    name: "kube-dns",
    type: "ClusterIP",
    clusterIP: "10.200.1.10",
    ports: [
      { name: "dns", protocol: "UDP", port: 53, endpoints: [remote("10.10.0.2", 53), remote("10.10.0.3", 53)] },
      { name: "dns-tcp", protocol: "TCP", port: 53, endpoints: [remote("10.10.0.2", 53), remote("10.10.0.3", 53)] },
    ],
  },
  { namespace: "default", name: "idle", type: "ClusterIP", clusterIP: "10.200.9.9", ports: [{ name: "", protocol: "TCP", port: 80, endpoints: [] }] },
];

/** `-A …` lines of the seed's `iptables -t nat -S` excerpts (the same syntax iptables-save prints after counters). */
function seedRules(): Set<string> {
  const seed = path.resolve(IPTABLES_CORPUS_DIR, "../../seed/000_fb9801a7f3e9dc4c.txt");
  return new Set(readFileSync(seed, "utf8").split("\n").filter((l) => l.startsWith("-A KUBE-")));
}

let saved = "";
let savedFilter = "";
let nfacct: string[] = [];

beforeAll(async () => {
  await withNetns("roundtrip", async (ns) => {
    // kube-proxy writes nfacct matches only for the accounting objects it could create.
    nfacct = await ensureNfacctCounters(ns, [NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS]);
    const input = renderNatRules(services, { ...worker, nfacctCounters: nfacct }, { includeJumpRules: true });
    const restore = await execInNetns(ns, "iptables-restore", [], { input });
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    saved = (await execInNetns(ns, "iptables-save", ["-c", "-t", "nat"])).stdout;
    savedFilter = (await execInNetns(ns, "iptables-save", ["-t", "filter"])).stdout;
  });
});

/** Saved rules without their `[packets:bytes] ` prefix. */
function savedRules(): string[] {
  return saved.split("\n").filter((l) => l.startsWith("[")).map((l) => l.slice(l.indexOf("] ") + 2));
}

describe("what the kernel does to kube-proxy's rules", () => {
  it("stores probabilities as 31-bit fractions, printed with 11 decimals; the last endpoint has none", () => {
    const ladder = savedRules().filter((l) => l.startsWith("-A KUBE-SVC-KBDEBIL6IU6WL7RF -m comment --comment \"default/svc-clusterip:svc-webport ->"));
    expect(ladder).toEqual([
      '-A KUBE-SVC-KBDEBIL6IU6WL7RF -m comment --comment "default/svc-clusterip:svc-webport -> 10.10.1.2:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-TBW2IYJKUCAC7GB3',
      '-A KUBE-SVC-KBDEBIL6IU6WL7RF -m comment --comment "default/svc-clusterip:svc-webport -> 10.10.2.2:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-DOIEFYKPESCDTYCH',
      '-A KUBE-SVC-KBDEBIL6IU6WL7RF -m comment --comment "default/svc-clusterip:svc-webport -> 10.10.3.3:80" -j KUBE-SEP-K7ALM6KJRBAYOHKX',
    ]);
  });

  it("reorders options, adds /32, inserts -m tcp and quotes every comment", () => {
    const rules = savedRules();
    expect(rules).toContain(
      '-A KUBE-SERVICES -d 10.200.1.201/32 -p tcp -m comment --comment "default/svc-clusterip:svc-webport cluster IP" -m tcp --dport 9000 -j KUBE-SVC-KBDEBIL6IU6WL7RF',
    );
    expect(rules).toContain('-A KUBE-SEP-TBW2IYJKUCAC7GB3 -s 10.10.1.2/32 -m comment --comment "default/svc-clusterip:svc-webport" -j KUBE-MARK-MASQ');
    expect(rules).toContain(
      '-A KUBE-SEP-TBW2IYJKUCAC7GB3 -p tcp -m comment --comment "default/svc-clusterip:svc-webport" -m tcp -j DNAT --to-destination 10.10.1.2:80',
    );
    expect(rules).toContain('-A KUBE-SEP-2XZJVPRY2PQVE3B3 -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.10.0.2:53');
  });

  it("prints --or-mark and --xor-mark as --set-xmark", () => {
    const rules = savedRules();
    expect(rules).toContain("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000");
    expect(rules).toContain("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0");
    expect(rules).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  });

  it("reads back exactly like the seed's kind cluster for the services the seed shows", () => {
    const seed = seedRules();
    const rules = savedRules();
    // The seed prints only excerpts; every one of its lines about these services must be among ours, byte for byte.
    const markers = ["KUBE-SVC-KBDEBIL6IU6WL7RF -m comment", "KUBE-SVC-7EJNTS7AENER2WX5", "KUBE-SVC-ERIFXISQEP7F7OF4", "KUBE-EXT-7EJNTS7AENER2WX5", "KUBE-MARK-MASQ -j", "KUBE-POSTROUTING -", '--comment "kube-system/kube-ops-view:http"'];
    const seedAboutThem = [...seed].filter((l) => markers.some((m) => l.includes(m)));
    expect(seedAboutThem.length).toBeGreaterThanOrEqual(6);
    for (const line of seedAboutThem) {
      // Without the nfacct tool no accounting object exists, and kube-proxy leaves the localhost node-port rule out.
      if (line.includes("--nfacct-name") && !nfacct.includes(NFACCT_LOCALHOST_NODEPORTS)) continue;
      expect(rules).toContain(line);
    }
  });

  it("keeps recent-match affinity, source-range firewall and the Local-policy chain", () => {
    const rules = savedRules().join("\n");
    expect(rules).toMatch(/-A KUBE-FW-\w+ -s 203\.0\.113\.0\/24 -m comment --comment "shop\/storefront:https loadbalancer IP" -j KUBE-EXT-/);
    expect(rules).toMatch(/-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-\w+ --mask 255\.255\.255\.255 --rsource -j KUBE-SEP-/);
    expect(rules).toMatch(/-A KUBE-EXT-\w+ -j KUBE-SVL-/);
    expect(savedFilter).toMatch(/-A KUBE-SERVICES -d 10\.200\.9\.9\/32 -p tcp -m comment --comment "default\/idle has no endpoints" -m tcp --dport 80 -j REJECT/);
    expect(savedFilter).toMatch(/-A KUBE-NODEPORTS -p tcp -m comment --comment "shop\/storefront:https health check node port" -m tcp --dport 32000 -j ACCEPT/);
  });
});

describe("a partial sync in the kernel", () => {
  it("leaves the same nat table as a full sync of the new state", async () => {
    const node = { ...worker, nfacctCounters: [] };
    const next: ServiceSpec[] = services
      .filter((s) => s.name !== "kube-ops-view")
      .map((s) =>
        s.name === "svc-clusterip"
          ? { ...s, ports: [{ ...s.ports[0]!, endpoints: ["10.10.1.2", "10.10.2.7", "10.10.3.3", "10.10.4.4"].map((ip) => remote(ip, 80)) }] }
          : s,
      );
    next.push({ namespace: "default", name: "new", type: "NodePort", clusterIP: "10.200.3.3", ports: [{ name: "http", protocol: "TCP", port: 80, nodePort: 31111, endpoints: [remote("10.10.3.30", 8080)] }] });
    const save = (ns: string) => execInNetns(ns, "iptables-save", ["-t", "nat"]).then((r) => r.stdout.replace(/^#.*\n/gm, ""));

    const afterPartial = await withNetns("roundtrip", async (ns) => {
      expect((await execInNetns(ns, "iptables-restore", [], { input: renderNatRules(services, node, { includeJumpRules: true }) })).code).toBe(0);
      // kube-proxy restores with --noflush: chains it does not mention keep their rules.
      const partial = renderPartialSync(services, next, node);
      expect(partial).toContain("-X KUBE-SVC-7EJNTS7AENER2WX5");
      expect(partial).not.toContain(":KUBE-SVC-ERIFXISQEP7F7OF4"); // kube-dns did not change
      const applied = await execInNetns(ns, "iptables-restore", ["--noflush"], { input: partial });
      expect(applied).toMatchObject({ code: 0, stderr: "" });
      return save(ns);
    });
    const afterFull = await withNetns("roundtrip", async (ns) => {
      expect((await execInNetns(ns, "iptables-restore", [], { input: renderNatRules(next, node, { includeJumpRules: true }) })).code).toBe(0);
      return save(ns);
    });
    expect(canonicalRestoreText(afterPartial)).toBe(canonicalRestoreText(afterFull));
    expect(afterPartial).toContain("--to-destination 10.10.2.7:80");
    expect(afterPartial).not.toContain("10.10.2.2");
    expect(afterPartial).not.toContain("kube-ops-view");
  });
});

describe("natwatch's model of the kernel's read-back", () => {
  let model: ProxyModel;
  const port = (name: string): ServicePortModel => {
    const found = model.servicePorts.find((sp) => sp.name === name);
    if (!found) throw new Error(`service port ${name} missing from the model`);
    return found;
  };

  beforeAll(() => {
    const parsed = parseIptablesSave(saved);
    if (!parsed.ok) throw new Error(`parse failed: ${parsed.error.reason} at line ${parsed.error.line}`);
    model = buildProxyModel(parsed.dump);
  });

  it("finds the seed's three endpoints with a third of new connections each, chains proven by hash", () => {
    const sp = port("default/svc-clusterip:svc-webport");
    expect(sp.svcChain).toBe("KUBE-SVC-KBDEBIL6IU6WL7RF");
    expect(sp.chainVerified).toBe(true);
    expect(sp.clusterIPs).toEqual(["10.200.1.201:9000"]);
    expect(sp.endpoints.map((e) => e.address)).toEqual(["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"]);
    expect(sp.endpoints.map((e) => e.probabilityText)).toEqual(["0.33333333349", "0.50000000000", null]);
    for (const ep of sp.endpoints) {
      expect(ep.chainVerified).toBe(true);
      expect(ep.share).toBeCloseTo(1 / 3, 6);
    }
  });

  it("models the NodePort path, affinity and the Local policy of the other services", () => {
    const opsView = port("kube-system/kube-ops-view:http");
    expect(opsView.nodePorts).toEqual([30000]);
    const destinations = opsView.paths.map((p) => `${p.kind} ${p.destination} ${p.chains.join(">")}`);
    expect(destinations).toContain("cluster-ip 10.200.1.253:8080 KUBE-SERVICES>KUBE-SVC-7EJNTS7AENER2WX5");
    expect(destinations).toContain("node-port :30000 KUBE-NODEPORTS>KUBE-EXT-7EJNTS7AENER2WX5>KUBE-SVC-7EJNTS7AENER2WX5");
    const store = port("shop/storefront:https");
    expect(store.affinitySeconds).toBe(10800);
    expect(store.externalTrafficPolicy).toBe("Local");
    expect(store.fwChain).toMatch(/^KUBE-FW-/);
    expect(store.svlChain).toMatch(/^KUBE-SVL-/);
    expect(store.chainVerified).toBe(true);
    expect(port("kube-system/kube-dns:dns").protocol).toBe("udp");
    expect(model.problems.filter((p) => p.kind !== "orphan-chain")).toEqual([]);
  });
});
