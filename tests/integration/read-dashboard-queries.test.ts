/**
 * The read use cases the dashboard's overview and node views add: each node's agreement with the others and whom to
 * compare it with, the latest conntrack fill and per-CPU counters, live flows per service port, the rule count of a
 * ruleset. Read back from the demo history (the seed's cluster, ending with worker3's kube-proxy stuck), and
 * cross-checked with the queries the API already answers from.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_CLUSTER, loadDemoHistory } from "../../scripts/demo-data";
import { demoConntrack } from "../../scripts/demo-conntrack";
import { SEED_NODES } from "../../lab/demo/seed-story";
import { countRulesetRules } from "../../lib/server/queries/count-ruleset-rules";
import { getLatestConntrack } from "../../lib/server/queries/get-latest-conntrack";
import { getNodeAgreement } from "../../lib/server/queries/get-node-agreement";
import { getSnapshotRuleset } from "../../lib/server/queries/get-snapshot-ruleset";
import { listLiveFlows } from "../../lib/server/queries/list-live-flows";
import { listNodes } from "../../lib/server/queries/list-nodes";
import { listServicePorts } from "../../lib/server/queries/list-service-ports";
import { isNotFound, type NotFound } from "../../lib/server/queries/not-found";
import { resolveClusterName } from "../../lib/server/queries/resolve-cluster-name";
import { providers, useTestDatabase } from "./support/databases";

const WEB = "default/svc-clusterip:svc-webport";

function ok<T>(value: T): Exclude<T, NotFound> {
  if (isNotFound(value)) throw new Error(value.message);
  return value as Exclude<T, NotFound>;
}

describe.each(providers)("dashboard read use cases on %s", (provider) => {
  const database = useTestDatabase(provider);
  const end = new Date(Math.floor(Date.now() / 1000) * 1000);

  beforeAll(async () => {
    expect(await resolveClusterName(database().db, undefined)).toBeNull();
    expect(await loadDemoHistory(database().db, { end, force: true })).toBeGreaterThan(0);
  }, 240_000);

  it("resolves the cluster a view shows: the named one, else the first", async () => {
    expect(await resolveClusterName(database().db, undefined)).toBe(DEMO_CLUSTER);
    expect(await resolveClusterName(database().db, "other")).toBe("other");
  });

  it("says which nodes agree, consistently with the service ports' agreement, and whom to compare each with", async () => {
    const { db } = database();
    const agreement = ok(await getNodeAgreement(db, DEMO_CLUSTER));
    const ports = ok(await listServicePorts(db, DEMO_CLUSTER, { limit: 1000 }));
    for (const standing of agreement.nodes) {
      const outside = ports.servicePorts.filter((p) => p.nodes.some((n) => n.node === standing.node && !n.agrees)).map((p) => p.name);
      expect(standing.disagreeingPorts).toEqual([...new Set(outside)].sort());
      expect(standing.agrees).toBe(outside.length === 0);
    }
    // The seed's ending: worker3 alone differs, on svc-clusterip only.
    const differing = agreement.nodes.filter((n) => !n.agrees);
    expect(differing.map((n) => [n.node, n.disagreeingPorts])).toEqual([["myk8s-worker3", [WEB]]]);
    // The stuck node is compared with a node that agrees; every other node with the stuck one.
    const agreeing = new Set(agreement.nodes.filter((n) => n.agrees).map((n) => n.node));
    for (const n of agreement.nodes) {
      if (n.agrees) expect(n.comparePeer).toBe("myk8s-worker3");
      else expect(agreeing.has(n.comparePeer!)).toBe(true);
    }
  });

  it("agreed everywhere before the scale to five, and knows no unknown cluster", async () => {
    const { db } = database();
    const before = ok(await getNodeAgreement(db, DEMO_CLUSTER, { at: new Date(end.getTime() - 40 * 60_000) }));
    expect(before.nodes.every((n) => n.agrees && n.disagreeingPorts.length === 0)).toBe(true);
    // Everyone agrees: each node is offered the next one, never itself.
    for (const n of before.nodes) expect(n.comparePeer).not.toBe(n.node);
    expect(await getNodeAgreement(db, "nope")).toMatchObject({ notFound: "cluster" });
  });

  it("reads each node's latest conntrack sample and its per-CPU counters, as of a time too", async () => {
    const { db } = database();
    const latest = ok(await getLatestConntrack(db, DEMO_CLUSTER));
    expect([...latest.keys()].sort()).toEqual(SEED_NODES.map((n) => n.name).sort());
    SEED_NODES.forEach((node, i) => {
      const sent = demoConntrack(i, 0);
      const sample = latest.get(node.name)!;
      expect(sample.capturedAt.getTime()).toBe(end.getTime());
      expect(sample).toMatchObject({ count: sent.count, max: sent.max, fill: sent.count / sent.max });
      expect(sample.perCpu.map((c) => [c.cpu, c.insertFailed, c.earlyDrop, c.searchRestart])).toEqual(
        sent.cpus.map((c) => [c.cpu, c.insert_failed, c.early_drop, c.search_restart]),
      );
    });
    const earlier = ok(await getLatestConntrack(db, DEMO_CLUSTER, { at: new Date(end.getTime() - 40 * 60_000) }));
    expect(earlier.get("myk8s-control-plane")!.count).toBe(demoConntrack(0, 40).count);
  });

  it("groups a node's live flows by the service port its rules route them to", async () => {
    const { db } = database();
    const now = ok(await listLiveFlows(db, DEMO_CLUSTER, "myk8s-control-plane"));
    expect(now.capturedAt?.getTime()).toBe(end.getTime());
    const sent = demoConntrack(0, 0).flows;
    const byPort = new Map(now.servicePorts.map((p) => [p.servicePort, p]));
    const web = byPort.get(WEB)!;
    expect(web.segment).toBe("default~svc-clusterip:svc-webport");
    expect(web.destinations).toEqual(["10.200.1.201:9000"]);
    expect(web.endpoints.map((e) => e.endpoint).sort()).toEqual(sent.filter((f) => f.destination === "10.200.1.201:9000").map((f) => f.endpoint).sort());
    expect(byPort.get("kube-system/kube-dns:dns")!.protocol).toBe("udp");
    expect(now.servicePorts.reduce((sum, p) => sum + p.total, 0)).toBe(sent.reduce((sum, f) => sum + f.count, 0));

    // During the 100 curls, the TIME_WAIT entries to the three first webpods: the seed's 35/33/32.
    const during = ok(await listLiveFlows(db, DEMO_CLUSTER, "myk8s-control-plane", { at: new Date(end.getTime() - 40 * 60_000) }));
    const curls = during.servicePorts.find((p) => p.servicePort === WEB)!;
    expect(curls.endpoints.map((e) => [e.endpoint, e.states.TIME_WAIT])).toEqual([["10.10.1.2:80", 35], ["10.10.2.2:80", 33], ["10.10.3.3:80", 32]]);

    const quiet = ok(await listLiveFlows(db, DEMO_CLUSTER, "myk8s-worker"));
    expect(quiet.servicePorts.map((p) => p.servicePort)).toEqual(["kube-system/kube-dns:dns"]);
    expect(await listLiveFlows(db, DEMO_CLUSTER, "myk8s-worker9")).toMatchObject({ notFound: "node" });
  });

  it("counts a ruleset's rules as its iptables-save text has them", async () => {
    const { db } = database();
    for (const node of ok(await listNodes(db, DEMO_CLUSTER))) {
      const current = node.current.ipv4!;
      const text = ok(await getSnapshotRuleset(db, DEMO_CLUSTER, node.name, current.snapshotId, "text"));
      if (text.format !== "text") throw new Error("expected text");
      const lines = text.text.split("\n").filter((l) => l.startsWith("-A ")).length;
      expect(await countRulesetRules(db, current.rulesetDigest)).toBe(lines);
    }
    expect(await countRulesetRules(db, "0".repeat(64))).toBe(0);
  });
});
