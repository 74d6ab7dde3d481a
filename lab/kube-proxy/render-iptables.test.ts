import { seedWebService } from "../demo/seed-story";
import { describe, expect, it } from "vitest";
import { corpusDumps } from "./corpus-fixtures";
import { renderNatRules, renderPartialSync } from "./render-iptables";
import { restoreSections, type TableSections } from "./restore-sections";
import { sidecarNode, sidecarServices } from "./sidecar-to-input";
import type { NodeConfig, ServiceSpec } from "./types";

/** Sections as plain data, so a failing comparison prints a readable diff. */
function plain(text: string): Record<string, { declared: string[]; rules: Record<string, string[]>; deleted: string[] }> {
  const out: Record<string, { declared: string[]; rules: Record<string, string[]>; deleted: string[] }> = {};
  for (const [table, t] of restoreSections(text) as Map<string, TableSections>) {
    out[table] = { declared: [...t.declared].sort(), rules: Object.fromEntries([...t.rules].sort()), deleted: t.deleted };
  }
  return out;
}

const wholeDumps = [...corpusDumps(6, 7), ...corpusDumps(16, 16), ...corpusDumps(101, 120)];

describe("renderNatRules against kube-proxy's expected dumps", () => {
  it.each(wholeDumps.map((d) => [d.name, d] as const))("%s: same chains, same rules per chain", (_name, dump) => {
    const rendered = renderNatRules(sidecarServices(dump.sidecar), sidecarNode(dump.sidecar));
    expect(plain(rendered)).toEqual(plain(dump.expected));
  });

  it.each(wholeDumps.map((d) => [d.name, d] as const))("%s: SEP chains exactly for the endpoints in rules", (_name, dump) => {
    const nat = restoreSections(renderNatRules(sidecarServices(dump.sidecar), sidecarNode(dump.sidecar))).get("nat");
    for (const service of dump.sidecar.services ?? []) {
      for (const port of service.ports) {
        for (const ep of port.endpoints ?? []) {
          if (ep.sepChain === undefined || ep.inRules === undefined) continue;
          expect(nat?.declared.has(ep.sepChain), `${ep.ip} of ${service.name}`).toBe(ep.inRules);
        }
      }
    }
  });
});

describe("renderPartialSync against TestSyncProxyRulesRepeated", () => {
  const steps = corpusDumps(7, 15);
  it.each(steps.slice(1).map((d, i) => [d.name, steps[i]!, d] as const))("%s", (_name, before, step) => {
    const node = sidecarNode(step.sidecar);
    // Step 015 is the full resync kube-proxy falls back to after a failed partial restore.
    const rendered = renderPartialSync(sidecarServices(before.sidecar), sidecarServices(step.sidecar), node, {
      full: step.number === "015",
    });
    expect(plain(rendered)).toEqual(plain(step.expected));
  });

  it("rewrites nothing of a service whose endpoints are unchanged", () => {
    const [initial] = corpusDumps(7, 7);
    const services = sidecarServices(initial!.sidecar);
    const text = renderPartialSync(services, services, sidecarNode(initial!.sidecar));
    expect(text).not.toMatch(/KUBE-SEP-|:KUBE-SVC-/);
    expect(text).toContain("-j KUBE-SVC-XPGD46QRK7WJZT7O"); // KUBE-SERVICES is always rewritten whole
  });
});

const kindNode: NodeConfig = { nodeName: "myk8s-worker", nodeIPs: ["172.18.0.3"], podCIDR: "10.10.0.0/16" };

/** The seed's service: three traefik/whoami pods behind a ClusterIP, later a NodePort 30007. */
const seedService = (nodePort?: number) => seedWebService(["10.10.3.3", "10.10.1.2", "10.10.2.2"], nodePort);

describe("kube-proxy behaviour", () => {
  it("names the seed's chains as the kind cluster did and writes the 1/3, 1/2, catch-all ladder in address order", () => {
    const rules = restoreSections(renderNatRules([seedService()], kindNode)).get("nat")?.rules.get("KUBE-SVC-KBDEBIL6IU6WL7RF");
    expect(rules).toEqual([
      '-m comment --comment "default/svc-clusterip:svc-webport cluster IP" -m tcp -p tcp -d 10.200.1.201 --dport 9000 ! -s 10.10.0.0/16 -j KUBE-MARK-MASQ',
      '-m comment --comment "default/svc-clusterip:svc-webport -> 10.10.1.2:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-TBW2IYJKUCAC7GB3',
      '-m comment --comment "default/svc-clusterip:svc-webport -> 10.10.2.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DOIEFYKPESCDTYCH',
      '-m comment --comment "default/svc-clusterip:svc-webport -> 10.10.3.3:80" -j KUBE-SEP-K7ALM6KJRBAYOHKX',
    ]);
  });

  it("adds the seed's NodePort path KUBE-NODEPORTS → KUBE-EXT → KUBE-SVC, localhost rule first", () => {
    const nat = restoreSections(renderNatRules([seedService(30007)], kindNode)).get("nat");
    expect(nat?.rules.get("KUBE-NODEPORTS")).toEqual([
      "-m comment --comment default/svc-clusterip:svc-webport -m tcp -p tcp -d 127.0.0.0/8 --dport 30007 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-KBDEBIL6IU6WL7RF",
      "-m comment --comment default/svc-clusterip:svc-webport -m tcp -p tcp --dport 30007 -j KUBE-EXT-KBDEBIL6IU6WL7RF",
    ]);
    expect(nat?.rules.get("KUBE-EXT-KBDEBIL6IU6WL7RF")?.at(-1)).toBe("-j KUBE-SVC-KBDEBIL6IU6WL7RF");
  });

  it("keeps kube-proxy's order: service chains after the top-level ones, node-port jump last, -X just before it", () => {
    const [step] = corpusDumps(9, 9);
    const [before] = corpusDumps(8, 8);
    const text = renderPartialSync(sidecarServices(before!.sidecar), sidecarServices(step!.sidecar), sidecarNode(step!.sidecar));
    const nat = text.slice(text.indexOf("*nat")).split("\n");
    const lastRule = nat.filter((l) => l.startsWith("-")).at(-1);
    expect(lastRule).toMatch(/^-A KUBE-SERVICES .*-j KUBE-NODEPORTS$/);
    expect(nat.slice(1, 5)).toEqual([":KUBE-SERVICES - [0:0]", ":KUBE-NODEPORTS - [0:0]", ":KUBE-POSTROUTING - [0:0]", ":KUBE-MARK-MASQ - [0:0]"]);
    expect(nat.filter((l) => l.startsWith("-X"))).toEqual(["-X KUBE-SEP-UHEGFW77JX3KXTOV", "-X KUBE-SVC-2VJB64SDSIJUP5T6"]);
  });

  it("drops per-endpoint comments above 1000 endpoints, as large clusters show", () => {
    const services = Array.from({ length: 11 }, (_, i): ServiceSpec => ({
      namespace: "bulk",
      name: `svc-${i}`,
      type: "ClusterIP",
      clusterIP: `10.96.0.${i + 1}`,
      ports: [{ name: "http", protocol: "TCP", port: 80, endpoints: Array.from({ length: 100 }, (_, j) => ({ ip: `10.244.${i}.${j + 1}`, port: 8080, ready: true })) }],
    }));
    const nat = restoreSections(renderNatRules(services, kindNode)).get("nat");
    const sep = [...(nat?.rules ?? [])].find(([chain]) => chain.startsWith("KUBE-SEP-"))?.[1];
    expect(sep?.[1]).toMatch(/^-m tcp -p tcp -j DNAT --to-destination 10\.244\.\d+\.\d+:8080$/);
    const svc = nat?.rules.get([...(nat?.declared ?? [])].find((c) => c.startsWith("KUBE-SVC-"))!);
    expect(svc?.[1]).toMatch(/^-m statistic --mode random --probability 0\.0100000000 -j KUBE-SEP-/);
    expect(svc?.[0]).toContain("cluster IP"); // the masquerade rule keeps its comment
  });

  it("renders IPv6 with bracketed DNAT targets and no localhost node ports", () => {
    const text = renderNatRules(
      [{ ...seedService(30007), clusterIP: "fd00:10:96::c9", ports: [{ ...seedService(30007).ports[0]!, endpoints: [{ ip: "fd00:10:244:1::0002", port: 80, ready: true }] }] }],
      { nodeName: "n", nodeIPs: ["fc00:f853:ccd:e793::3"], family: "ipv6", podCIDR: "fd00:10:244::/56" },
    );
    expect(text).toContain("-j DNAT --to-destination [fd00:10:244:1::2]:80");
    expect(text).toContain("-s fd00:10:244:1::2 -j KUBE-MARK-MASQ");
    expect(text).toContain("-m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS");
    expect(text).not.toContain("127.0.0.0/8");
  });

  it("adds --random-fully when the node's iptables supports it", () => {
    const text = renderNatRules([seedService()], { ...kindNode, masqueradeRandomFully: true });
    expect(text).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  });
});
