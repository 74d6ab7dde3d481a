/**
 * The read use cases behind the services list and the service view, on both databases, from history stored by the
 * capture and kube-events use cases: filtering the list, the chain paths with their hash verification, the pod
 * behind an endpoint address, and the rules that changed with a pod restart.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { findEndpointPods } from "../../lib/server/queries/find-endpoint-pods";
import { getChangeRuleDiffs } from "../../lib/server/queries/get-change-rule-diffs";
import { getServicePortModels } from "../../lib/server/queries/get-service-port-models";
import { listChanges } from "../../lib/server/queries/list-changes";
import { isNotFound, type NotFound } from "../../lib/server/queries/not-found";
import { searchServicePorts } from "../../lib/server/queries/search-service-ports";
import { providers, useTestDatabase } from "./support/databases";
import { PODS, recordPodRestartHistory, recordSeedHistory, SEED_NODES, WEB_PORT, type SeedHistory } from "./support/history-fixtures";
import { at } from "./support/ingest-fixtures";

function ok<T>(value: T | NotFound): Exclude<T, NotFound> {
  if (isNotFound(value)) throw new Error(value.message);
  return value as Exclude<T, NotFound>;
}

describe.each(providers)("service view queries on %s", (provider) => {
  const database = useTestDatabase(provider);
  let seed: SeedHistory;
  beforeAll(async () => {
    seed = await recordSeedHistory(database().db, "kind");
    await recordPodRestartHistory(database().db, "lab");
  }, 240_000);

  it("filters the list by text, type and disagreement, and pages after filtering", async () => {
    const { db } = database();
    const all = ok(await searchServicePorts(db, "kind"));
    expect(all.total).toBe(all.servicePorts.length);
    expect(all.servicePorts.map((p) => p.name)).toContain(WEB_PORT);

    const byText = ok(await searchServicePorts(db, "kind", { q: "svc-clusterip" }));
    expect(byText.servicePorts.map((p) => p.name)).toEqual([WEB_PORT]);
    expect(byText.servicePorts[0]?.types).toEqual(["ClusterIP", "NodePort"]);

    // Every port with a node port, and no other.
    const nodePorts = ok(await searchServicePorts(db, "kind", { type: "NodePort" }));
    expect(nodePorts.servicePorts.length).toBeGreaterThan(0);
    for (const port of nodePorts.servicePorts) expect(port.nodes.some((n) => n.nodePorts.length > 0)).toBe(true);
    const withoutNodePort = all.servicePorts.filter((p) => p.nodes.every((n) => n.nodePorts.length === 0));
    expect(nodePorts.total).toBe(all.total - withoutNodePort.length);

    // Now all four nodes agree; at minute 15 myk8s-worker3 still lacked the node port.
    expect(ok(await searchServicePorts(db, "kind", { disagreeing: true })).total).toBe(0);
    const lagging = ok(await searchServicePorts(db, "kind", { disagreeing: true, at: new Date(at(seed.minutes.nodePort + 5)) }));
    expect(lagging.servicePorts.map((p) => [p.name, p.agreement])).toEqual([[WEB_PORT, { agreeing: 3, nodes: 4 }]]);
    expect(lagging.servicePorts[0]?.nodes.find((n) => n.node === "myk8s-worker3")?.agrees).toBe(false);

    const page = ok(await searchServicePorts(db, "kind", { limit: 2, offset: 1 }));
    expect(page.total).toBe(all.total);
    expect(page.servicePorts.map((p) => p.name)).toEqual(all.servicePorts.slice(1, 3).map((p) => p.name));
  });

  it("gives each port the time of its newest change", async () => {
    const { db } = database();
    const list = ok(await searchServicePorts(db, "lab", { q: WEB_PORT }));
    const changes = ok(await listChanges(db, "lab", { service: WEB_PORT, limit: 1 }));
    expect(changes.changes).toHaveLength(1);
    expect(list.servicePorts[0]?.lastChangeAt?.toISOString()).toBe(changes.changes[0]?.at.toISOString());
  });

  it("reads the paths into the port per node, KUBE-EXT only once the node has the node port", async () => {
    const { db } = database();
    const path = (models: Awaited<ReturnType<typeof getServicePortModels>>, node: string) =>
      ok(models).nodes.find((n) => n.node === node)?.model?.paths.map((p) => `${p.kind} ${p.chains.join(">")}`) ?? [];
    const lagging = await getServicePortModels(db, "kind", WEB_PORT, { protocol: "tcp", at: new Date(at(seed.minutes.nodePort + 5)) });
    expect(path(lagging, "myk8s-worker3")).toEqual(["cluster-ip KUBE-SERVICES>KUBE-SVC-KBDEBIL6IU6WL7RF"]);
    expect(path(lagging, "myk8s-worker")).toContain("node-port KUBE-NODEPORTS>KUBE-EXT-KBDEBIL6IU6WL7RF>KUBE-SVC-KBDEBIL6IU6WL7RF");

    const now = ok(await getServicePortModels(db, "kind", WEB_PORT, { protocol: "tcp" }));
    expect(now.nodes.map((n) => n.node)).toEqual([...SEED_NODES]);
    for (const node of now.nodes) {
      expect(node.model?.chainVerified).toBe(true);
      expect(node.model?.endpoints.every((e) => e.chainVerified)).toBe(true);
      expect(node.model?.paths.find((p) => p.kind === "node-port")?.chains[1]).toBe("KUBE-EXT-KBDEBIL6IU6WL7RF");
    }
    expect(ok(await getServicePortModels(db, "kind", WEB_PORT, { protocol: "udp" })).nodes.every((n) => n.model === null)).toBe(true);
    expect(await getServicePortModels(db, "nope", WEB_PORT)).toMatchObject({ notFound: "cluster" });
  });

  it("names the pod behind an endpoint address as of a moment, a reused or deleted IP included", async () => {
    const { db } = database();
    const addresses = PODS.after.map((ip) => `${ip}:80`);
    const pods = ok(await findEndpointPods(db, "lab", [...addresses, "10.10.2.2:80"], new Date(at(200))));
    expect(pods.get("10.10.2.5:80")).toMatchObject({ namespace: "default", name: "web-4", lastEvent: "MODIFIED" });
    expect(pods.get("10.10.2.2:80")).toMatchObject({ name: "web-2", lastEvent: "DELETED" });
    // No event names the pods that never restarted.
    expect(pods.has("10.10.1.2:80")).toBe(false);
    // Before the events, no pod is known for the new address.
    expect(ok(await findEndpointPods(db, "lab", ["10.10.2.5:80"], new Date(at(104)))).size).toBe(0);
  });

  it("shows the rules a pod restart changed on each node: the old KUBE-SEP removed, the new one added", async () => {
    const { db } = database();
    const changes = ok(await listChanges(db, "lab", { service: WEB_PORT, kind: "endpoint-added" })).changes;
    expect(changes.map((c) => c.node).sort()).toEqual([...SEED_NODES].sort());
    type Detail = { endpoint: { sepChain: string }; replaces: string };
    const removed = ok(await listChanges(db, "lab", { service: WEB_PORT, kind: "endpoint-removed" })).changes;
    const oldSep = (removed[0]?.detail as Detail).endpoint.sepChain;
    const newSep = (changes[0]?.detail as Detail).endpoint.sepChain;
    expect(oldSep).not.toBe(newSep);

    const diffs = ok(await getChangeRuleDiffs(db, "lab", WEB_PORT, changes.map((c) => c.snapshotId)));
    expect(diffs.size).toBe(SEED_NODES.length);
    for (const change of changes) {
      const diff = diffs.get(change.snapshotId);
      expect(diff?.previousSnapshotId).not.toBeNull();
      const byChain = new Map(diff?.chains.map((c) => [c.chain, c]));
      expect(byChain.get(oldSep)?.change).toBe("removed");
      expect(byChain.get(oldSep)?.lines.every((l) => l.op === "remove")).toBe(true);
      expect(byChain.get(newSep)?.change).toBe("added");
      expect(byChain.get(newSep)?.lines.some((l) => l.op === "add" && l.text.includes("--to-destination 10.10.2.5:80"))).toBe(true);
      const svc = byChain.get("KUBE-SVC-KBDEBIL6IU6WL7RF");
      expect(svc?.lines.filter((l) => l.op === "remove").map((l) => l.text.includes(`-j ${oldSep}`))).toEqual([true]);
      expect(svc?.lines.filter((l) => l.op === "add").map((l) => l.text.includes(`-j ${newSep}`))).toEqual([true]);
      // Entry chains did not change for a restart: nothing of theirs is shown.
      expect(diff?.chains.some((c) => c.chain === "KUBE-SERVICES")).toBe(false);
    }

    // The NodePort switch: of the shared KUBE-NODEPORTS only the port's own rules, and the new KUBE-EXT chain.
    const nodePortDiff = ok(await getChangeRuleDiffs(db, "kind", WEB_PORT, [seed.nodePortSnapshot["myk8s-control-plane"] as number]));
    const entry = nodePortDiff.get(seed.nodePortSnapshot["myk8s-control-plane"] as number);
    expect(entry?.chains.find((c) => c.chain === "KUBE-NODEPORTS")?.lines.every((l) => l.op !== "keep" && l.text.includes(WEB_PORT))).toBe(true);
    expect(entry?.chains.find((c) => c.chain === "KUBE-EXT-KBDEBIL6IU6WL7RF")?.change).toBe("added");
    // A node's first snapshot has nothing to compare with.
    const initial = ok(await getChangeRuleDiffs(db, "kind", WEB_PORT, [seed.clusterIpSnapshot["myk8s-control-plane"] as number]));
    expect(initial.get(seed.clusterIpSnapshot["myk8s-control-plane"] as number)).toEqual({
      snapshotId: seed.clusterIpSnapshot["myk8s-control-plane"],
      previousSnapshotId: null,
      chains: [],
    });
  });
});
