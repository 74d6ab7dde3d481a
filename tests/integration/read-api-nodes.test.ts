/**
 * Read API, clusters to rulesets: what the cluster and node pages show, and the ruleset of a snapshot rebuilt from
 * the content-addressed store — on both databases, from history stored by the capture use case.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import { serializeIptablesSave } from "../../lib/iptables/serialize-iptables-save";
import { getServicePort } from "../../lib/server/queries/get-service-port";
import { getSnapshotRuleset } from "../../lib/server/queries/get-snapshot-ruleset";
import { listClusters } from "../../lib/server/queries/list-clusters";
import { listNodes, type NodeSummary } from "../../lib/server/queries/list-nodes";
import { listSnapshots } from "../../lib/server/queries/list-snapshots";
import { providers, useTestDatabase } from "./support/databases";
import { recordSeedHistory, SEED_NODES, withoutTraffic, type SeedHistory } from "./support/history-fixtures";
import { at, seedDump } from "./support/ingest-fixtures";

/** The dump as iptables-save prints it without `-c`: no rule counters, `[0:0]` on declarations, no `#` lines. */
function withoutCounters(dump: string): string {
  return dump
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) => line.replace(/^\[\d+:\d+\] /, "").replace(/ \[\d+:\d+\]$/, " [0:0]"))
    .join("\n");
}

describe.each(providers)("read API: clusters, nodes, snapshots and rulesets on %s", (provider) => {
  const database = useTestDatabase(provider);
  let seed: SeedHistory;
  beforeAll(async () => {
    seed = await recordSeedHistory(database().db, "kind");
    await database().db.cluster.create({ data: { name: "empty" } });
  }, 240_000);

  it("lists clusters with their node count and last capture", async () => {
    const clusters = await listClusters(database().db);
    expect(clusters.map((c) => [c.name, c.nodes, c.lastCaptureAt?.toISOString() ?? null])).toEqual([
      ["empty", 0, null],
      ["kind", 4, at(20)],
    ]);
  });

  it("lists nodes with last capture, mode, history counts and current ruleset, without reading rules", async () => {
    const nodes = (await listNodes(database().db, "kind")) as NodeSummary[];
    expect(nodes.map((n) => n.name)).toEqual([...SEED_NODES]);
    const byName = Object.fromEntries(nodes.map((n) => [n.name, n]));
    expect(byName["myk8s-control-plane"]).toMatchObject({
      role: "control-plane",
      lastCaptureAt: new Date(at(10)),
      backend: "iptables-nft",
      mode: "iptables",
      snapshots: 2,
      captures: 3,
      current: { ipv4: { snapshotId: seed.nodePortSnapshot["myk8s-control-plane"], firstSeen: new Date(at(10)), captures: 1, mode: "iptables" } },
    });
    // worker3 held the ClusterIP rules through four captures before following at minute 20.
    expect(byName["myk8s-worker3"]).toMatchObject({ role: "worker", snapshots: 2, captures: 5, lastCaptureAt: new Date(at(20)) });
    // The NodePort ruleset adds KUBE-EXT-KBDEBIL6IU6WL7RF to the 31 chains of the ClusterIP one.
    expect(byName["myk8s-worker"]?.current.ipv4?.chains).toBe(32);
    expect(byName["myk8s-worker"]?.current.ipv6).toBeUndefined();
  });

  it("answers NotFound for an unknown cluster or node", async () => {
    expect(await listNodes(database().db, "nope")).toMatchObject({ notFound: "cluster", name: "nope" });
    expect(await listSnapshots(database().db, "kind", "myk8s-worker9")).toMatchObject({
      notFound: "node",
      message: 'unknown node "myk8s-worker9" in cluster "kind"',
    });
  });

  it("lists a node's snapshots newest first, with the state already in place when the range begins", async () => {
    const { db } = database();
    const all = await listSnapshots(db, "kind", "myk8s-worker3");
    if ("notFound" in all) throw new Error(all.message);
    // Becoming a NodePort added two paths to the service: the node port and its localhost variant.
    expect(all.snapshots.map((s) => [s.id, s.firstSeen.toISOString(), s.lastSeen.toISOString(), s.captures, s.changes])).toEqual([
      [seed.nodePortSnapshot["myk8s-worker3"], at(20), at(20), 1, 2],
      [seed.clusterIpSnapshot["myk8s-worker3"], at(0), at(15), 4, 0],
    ]);
    // Minutes 12–18: nothing began then, but the ClusterIP rules held throughout.
    const quiet = await listSnapshots(db, "kind", "myk8s-worker3", { from: new Date(at(12)), to: new Date(at(18)) });
    expect("notFound" in quiet ? [] : quiet.snapshots.map((s) => s.id)).toEqual([seed.clusterIpSnapshot["myk8s-worker3"]]);
    const later = await listSnapshots(db, "kind", "myk8s-worker3", { from: new Date(at(19)) });
    expect("notFound" in later ? [] : later.snapshots.map((s) => s.id)).toEqual([
      seed.nodePortSnapshot["myk8s-worker3"],
      seed.clusterIpSnapshot["myk8s-worker3"],
    ]);
  });

  it("rebuilds a snapshot's ruleset as the captured iptables-save text, counters aside, byte for byte", async () => {
    const { db } = database();
    for (const [node, snapshots, dump] of [
      ["myk8s-control-plane", seed.clusterIpSnapshot, seedDump("clusterip")],
      ["myk8s-worker2", seed.nodePortSnapshot, withoutTraffic(seedDump("nodeport"))],
    ] as const) {
      const ruleset = await getSnapshotRuleset(db, "kind", node, snapshots[node] as number, "text");
      if ("notFound" in ruleset || ruleset.format !== "text") throw new Error("expected the text form");
      expect(ruleset.text).toBe(withoutCounters(dump));
      // The same, said with the project's own parser and serializer.
      const parsed = parseIptablesSave(dump);
      if (!parsed.ok) throw new Error(parsed.error.reason);
      expect(ruleset.text).toBe(serializeIptablesSave(parsed.dump, { counters: false, order: "canonical" }));
    }
  });

  it("gives the ruleset as JSON chains in iptables-save order, and NotFound for another node's snapshot", async () => {
    const { db } = database();
    const id = seed.nodePortSnapshot["myk8s-worker"] as number;
    const ruleset = await getSnapshotRuleset(db, "kind", "myk8s-worker", id, "json");
    if ("notFound" in ruleset || ruleset.format !== "json") throw new Error("expected the JSON form");
    expect(ruleset.snapshot).toMatchObject({ id, node: "myk8s-worker", family: "ipv4", mode: "iptables", firstSeen: new Date(at(10)) });
    expect(ruleset.chains.slice(0, 5).map((c) => [c.chain, c.policy])).toEqual([
      ["PREROUTING", "ACCEPT"],
      ["INPUT", "ACCEPT"],
      ["OUTPUT", "ACCEPT"],
      ["POSTROUTING", "ACCEPT"],
      ["DOCKER_OUTPUT", null],
    ]);
    const ext = ruleset.chains.find((c) => c.chain === "KUBE-EXT-KBDEBIL6IU6WL7RF");
    expect(ext?.rules).toEqual([
      '-A KUBE-EXT-KBDEBIL6IU6WL7RF -m comment --comment "masquerade traffic for default/svc-clusterip:svc-webport external destinations" -j KUBE-MARK-MASQ',
      "-A KUBE-EXT-KBDEBIL6IU6WL7RF -j KUBE-SVC-KBDEBIL6IU6WL7RF",
    ]);
    expect(ext?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await getSnapshotRuleset(db, "kind", "myk8s-worker2", id)).toMatchObject({ notFound: "snapshot" });
  });

  it("rebuilds a model retention dropped from the stored chains, the same as ingest built it", async () => {
    const { db } = database();
    const digests = (await db.snapshot.findMany({ where: { node: { cluster: { name: "kind" } } }, select: { rulesetDigest: true } })).map((s) => s.rulesetDigest);
    await db.rulesetModel.deleteMany({ where: { rulesetDigest: { in: digests } } });
    const then = await getServicePort(db, "kind", "default/svc-clusterip:svc-webport", { at: new Date(at(0)) });
    if ("notFound" in then) throw new Error(then.message);
    expect(then.agreement).toEqual({ agreeing: 4, nodes: 4 });
    expect(then.nodes[0]?.endpoints.map((e) => [e.address, e.packets])).toEqual([
      ["10.10.1.2:80", 35],
      ["10.10.2.2:80", 33],
      ["10.10.3.3:80", 32],
    ]);
    expect(await db.rulesetModel.count({ where: { rulesetDigest: { in: digests } } })).toBe(0);
  });
});
