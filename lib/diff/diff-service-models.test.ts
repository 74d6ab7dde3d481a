import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readProxyModel } from "../kube-proxy/read-proxy-model";
import type { ProxyModel } from "../kube-proxy/types";
import { diffServiceModels } from "./diff-service-models";
import type { ServiceChange } from "./types";

const nftCorpus = resolve(__dirname, "../../../shared/corpus/nftables");
const seedDir = resolve(__dirname, "../../tests/fixtures/seed");

function model(path: string, edit: (text: string) => string = (t) => t): ProxyModel {
  const result = readProxyModel(edit(readFileSync(path, "utf8")));
  if (!result.ok) throw new Error(`${path}: ${result.error.reason} at line ${result.error.line}`);
  return result.model;
}

const nft = (name: string) => model(resolve(nftCorpus, name));
const brief = (changes: ServiceChange[]) => changes.map((c) => `${c.servicePort} ${c.kind}${c.endpoint ? ` ${c.endpoint.address}` : ""}`);

describe("diffServiceModels over kube-proxy's own sync sequence (nftables corpus 002–011)", () => {
  it("a service added", () => {
    expect(brief(diffServiceModels(nft("002_TestSyncProxyRulesRepeated_01_initial.nft"), nft("003_TestSyncProxyRulesRepeated_02_add_svc3.nft")))).toEqual([
      "ns3/svc3:p80 service-added",
    ]);
  });

  it("a service deleted; flushing and then deleting its stale chains is no further change", () => {
    const added = nft("003_TestSyncProxyRulesRepeated_02_add_svc3.nft");
    const flushed = nft("004_TestSyncProxyRulesRepeated_03_delete_svc2_stale_chains_flushed.nft");
    expect(brief(diffServiceModels(added, flushed))).toEqual(["ns2/svc2:p8080 service-removed"]);
    expect(diffServiceModels(flushed, nft("005_TestSyncProxyRulesRepeated_04_stale_chains_deleted.nft"))).toEqual([]);
  });

  it("a service without endpoints gets its endpoints: the reject goes away", () => {
    const changes = diffServiceModels(nft("006_TestSyncProxyRulesRepeated_05_add_svc4_no_endpoints.nft"), nft("007_TestSyncProxyRulesRepeated_06_svc4_endpoints.nft"));
    expect(brief(changes)).toContain("ns4/svc4:p80 endpoint-added 10.0.4.1:80");
    expect(brief(changes)).toContain("ns4/svc4:p80 no-endpoints-changed");
  });

  it("an endpoint changed reads as a replacement, like a pod restart", () => {
    const changes = diffServiceModels(nft("007_TestSyncProxyRulesRepeated_06_svc4_endpoints.nft"), nft("008_TestSyncProxyRulesRepeated_07_svc3_endpoint_changed.nft"));
    expect(brief(changes)).toEqual(["ns3/svc3:p80 endpoint-removed 10.0.3.1:80", "ns3/svc3:p80 endpoint-added 10.0.3.2:80"]);
    expect(changes[0]).toMatchObject({ replacedBy: "10.0.3.2:80", endpoint: { sepChain: "endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80" } });
    expect(changes[1]).toMatchObject({ replaces: "10.0.3.1:80" });
  });

  it("an endpoint added: the even redistribution of shares is not reported as a weight change", () => {
    const changes = diffServiceModels(nft("008_TestSyncProxyRulesRepeated_07_svc3_endpoint_changed.nft"), nft("009_TestSyncProxyRulesRepeated_08_svc3_endpoint_added.nft"));
    expect(brief(changes)).toEqual(["ns3/svc3:p80 endpoint-added 10.0.3.3:80"]);
  });

  it("endpoints emptied and restored", () => {
    const full = nft("009_TestSyncProxyRulesRepeated_08_svc3_endpoint_added.nft");
    const empty = nft("010_TestSyncProxyRulesRepeated_09_svc3_endpoints_emptied.nft");
    const emptied = diffServiceModels(full, empty);
    expect(brief(emptied)).toEqual([
      "ns3/svc3:p80 endpoint-removed 10.0.3.2:80",
      "ns3/svc3:p80 endpoint-removed 10.0.3.3:80",
      "ns3/svc3:p80 path-removed",
      "ns3/svc3:p80 no-endpoints-changed",
    ]);
    expect(emptied[3]!.summary).toBe("traffic now refused: REJECT 172.30.0.43:80 (has no endpoints)");
    expect(diffServiceModels(full, nft("011_TestSyncProxyRulesRepeated_10_svc3_endpoints_restored.nft"))).toEqual([]);
  });
});

describe("diffServiceModels on iptables captures", () => {
  const clusterIP = () => model(resolve(seedDir, "clusterip.iptables-save.txt"));

  it("ignores counters and rule order", () => {
    const before = clusterIP();
    const after = model(resolve(seedDir, "clusterip.iptables-save.txt"), (t) => t.replace(/\[\d+:\d+\]/g, "[999:99999]"));
    expect(diffServiceModels(before, after)).toEqual([]);
    const shuffled = structuredClone(before);
    for (const port of shuffled.servicePorts) port.endpoints.reverse();
    shuffled.servicePorts.reverse();
    expect(diffServiceModels(before, shuffled)).toEqual([]);
  });

  it("reports a weight change that is not an even split (a hand-edited or stale ladder)", () => {
    const before = clusterIP();
    const after = structuredClone(before);
    const web = after.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport")!;
    web.endpoints[0]!.share = 0.5;
    web.endpoints[1]!.share = 0.25;
    web.endpoints[2]!.share = 0.25;
    const [change] = diffServiceModels(before, after);
    expect(change).toMatchObject({ kind: "weight-changed", servicePort: "default/svc-clusterip:svc-webport" });
    expect(change!.shares!.find((s) => s.address === "10.10.1.2:80")).toMatchObject({ after: 0.5 });
    expect(change!.shares![0]!.before).toBeCloseTo(1 / 3, 6);
  });

  it("reports session affinity and traffic policy changes", () => {
    const before = clusterIP();
    const after = structuredClone(before);
    const web = after.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport")!;
    web.affinitySeconds = 10800;
    web.internalTrafficPolicy = "Local";
    expect(brief(diffServiceModels(before, after))).toEqual([
      "default/svc-clusterip:svc-webport affinity-changed",
      "default/svc-clusterip:svc-webport traffic-policy-changed",
    ]);
  });
});
