/**
 * Read API, history: the change timeline (filters, paging, each node's delay, the pod event behind an endpoint
 * change) and the diff between any two snapshots — node vs node and a node against itself earlier — on both
 * databases, from history stored by the capture use case.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { diffSnapshots, type SnapshotDiff } from "../../lib/server/queries/diff-snapshots";
import { listChanges, type ChangeList } from "../../lib/server/queries/list-changes";
import { parseSnapshotRef } from "../../lib/server/queries/snapshot-ref";
import { isNotFound, type NotFound } from "../../lib/server/queries/not-found";
import { providers, useTestDatabase } from "./support/databases";
import { recordPodRestartHistory, recordSeedHistory, WEB_PORT, type SeedHistory } from "./support/history-fixtures";
import { at } from "./support/ingest-fixtures";

/** The value of a query that found what it was asked for. */
function ok<T>(value: T | NotFound): Exclude<T, NotFound> {
  if (isNotFound(value)) throw new Error(value.message);
  return value as Exclude<T, NotFound>;
}

const ref = (text: string) => parseSnapshotRef(text, new Date()) as NonNullable<ReturnType<typeof parseSnapshotRef>>;

describe.each(providers)("read API: changes and diffs on %s", (provider) => {
  const database = useTestDatabase(provider);
  let seed: SeedHistory;
  beforeAll(async () => {
    seed = await recordSeedHistory(database().db, "kind");
    await recordPodRestartHistory(database().db, "lab");
  }, 240_000);

  it("lists the pod restart newest first, each node's delay, and the pod event that caused it", async () => {
    const timeline = ok(await listChanges(database().db, "lab", { service: WEB_PORT }));
    expect(timeline.changes.map((c) => [c.at.toISOString(), c.node, c.kind, c.delayMs])).toEqual([
      [at(108), "myk8s-worker3", "endpoint-added", 180_000],
      [at(108), "myk8s-worker3", "endpoint-removed", 180_000],
      [at(105), "myk8s-worker2", "endpoint-added", 0],
      [at(105), "myk8s-worker2", "endpoint-removed", 0],
      [at(105), "myk8s-worker", "endpoint-added", 0],
      [at(105), "myk8s-worker", "endpoint-removed", 0],
      [at(105), "myk8s-control-plane", "endpoint-added", 0],
      [at(105), "myk8s-control-plane", "endpoint-removed", 0],
    ]);
    const [added, removed] = timeline.changes;
    expect(added?.summary).toMatch(/^endpoint 10\.10\.2\.5:80 \(KUBE-SEP-[A-Z2-7]{16}\) replaces 10\.10\.2\.2:80$/);
    expect(added?.cause).toMatchObject({ kind: "Pod", name: "web-4", type: "MODIFIED", ip: "10.10.2.5", delayMs: 192_000 });
    expect(removed?.cause).toMatchObject({ kind: "Pod", name: "web-2", type: "DELETED", ip: "10.10.2.2", delayMs: 210_000 });
    expect(removed?.detail).toMatchObject({ endpoint: { address: "10.10.2.2:80", sepChain: "KUBE-SEP-DOIEFYKPESCDTYCH" }, replacedBy: "10.10.2.5:80" });
    expect(timeline.nextCursor).toBeNull();
  });

  it("filters the timeline by service, node, kind and time range", async () => {
    const { db } = database();
    const summary = (list: ChangeList) => list.changes.map((c) => `${c.at.toISOString() === at(20) ? "20" : "10"} ${c.node} ${c.kind}`);
    // A service (all its ports) or one port; another service has no changes.
    expect(ok(await listChanges(db, "kind", { service: "default/svc-clusterip" })).changes).toHaveLength(8);
    expect(ok(await listChanges(db, "kind", { service: "kube-system/kube-dns:dns" })).changes).toEqual([]);
    const worker3Only = ok(await listChanges(db, "kind", { node: "myk8s-worker3" }));
    expect(summary(worker3Only)).toEqual(["20 myk8s-worker3 path-added", "20 myk8s-worker3 path-added"]);
    // Its delay is measured against the nodes outside the filter.
    expect(worker3Only.changes.map((c) => c.delayMs)).toEqual([600_000, 600_000]);
    const window = ok(await listChanges(db, "kind", { from: new Date(at(5)), to: new Date(at(15)) }));
    expect(new Set(window.changes.map((c) => c.node))).toEqual(new Set(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2"]));
    expect(window.changes.every((c) => c.at.toISOString() === at(10) && c.kind === "path-added")).toBe(true);
    expect(ok(await listChanges(db, "kind", { to: new Date(at(9)) })).changes).toEqual([]);
    expect(ok(await listChanges(db, "kind", { kind: "endpoint-added" })).changes).toEqual([]);
    // The node port path reached worker3 ten minutes after the others.
    const worker3 = ok(await listChanges(db, "kind", {})).changes.filter((c) => c.node === "myk8s-worker3");
    expect(worker3.map((c) => c.delayMs)).toEqual([600_000, 600_000]);
    expect(worker3.map((c) => (c.detail as { path: { destination: string } }).path.destination).sort()).toEqual(["127.0.0.0/8:30007", ":30007"]);
    expect(await listChanges(db, "kind", { node: "myk8s-worker9" })).toMatchObject({ notFound: "node" });
  });

  it("pages the timeline with a cursor, without gaps or repeats", async () => {
    const { db } = database();
    const all = ok(await listChanges(db, "lab", {})).changes.map((c) => c.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const list = ok(await listChanges(db, "lab", { limit: 3, ...(cursor ? { cursor } : {}) }));
      seen.push(...list.changes.map((c) => c.id));
      if (!list.nextCursor) break;
      cursor = list.nextCursor;
    }
    expect(seen).toEqual(all);
    expect(all).toHaveLength(8);
  });

  it("diffs two nodes at the time one lagged: the service gained node-port paths on one side only", async () => {
    const diff = ok(await diffSnapshots(database().db, "kind", ref(`myk8s-worker3@${at(15)}`), ref(`myk8s-worker2@${at(15)}`))) as SnapshotDiff;
    expect(diff.from).toMatchObject({ node: "myk8s-worker3", snapshotId: seed.clusterIpSnapshot["myk8s-worker3"] });
    expect(diff.to).toMatchObject({ node: "myk8s-worker2", snapshotId: seed.nodePortSnapshot["myk8s-worker2"] });
    expect(diff.identical).toBe(false);
    expect(diff.services.map((s) => [s.servicePort, s.segment, s.changes.map((c) => `${c.kind} ${c.path?.destination}`)])).toEqual([
      [WEB_PORT, "default~svc-clusterip:svc-webport", ["path-added 127.0.0.0/8:30007", "path-added :30007"]],
    ]);
    expect(diff.chains.added.map((c) => c.chain)).toEqual(["KUBE-EXT-KBDEBIL6IU6WL7RF"]);
    expect(diff.chains.removed).toEqual([]);
    expect(diff.chains.changed.map((c) => [c.chain, c.added, c.removed])).toEqual([["KUBE-NODEPORTS", 2, 0]]);
    const edits = diff.chains.changed[0]?.edits ?? [];
    expect(edits.filter((e) => e.op === "add").map((e) => e.text)).toEqual([
      '-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "default/svc-clusterip:svc-webport" -m tcp --dport 30007 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-KBDEBIL6IU6WL7RF',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/svc-clusterip:svc-webport" -m tcp --dport 30007 -j KUBE-EXT-KBDEBIL6IU6WL7RF',
    ]);
    expect(diff.chains.unchanged).toBe(30);
  });

  it("diffs the nodes now (identical once worker3 followed) and a node against itself earlier", async () => {
    const { db } = database();
    const now = ok(await diffSnapshots(db, "kind", ref("myk8s-worker2"), ref("myk8s-worker3")));
    expect([now.identical, now.services, now.chains.changed, now.chains.unchanged]).toEqual([true, [], [], 32]);

    const restart = ok(await diffSnapshots(db, "lab", ref(`myk8s-worker@${at(104)}`), ref("myk8s-worker")));
    expect(restart.services[0]?.changes.map((c) => [c.kind, c.endpoint?.address])).toEqual([
      ["endpoint-removed", "10.10.2.2:80"],
      ["endpoint-added", "10.10.2.5:80"],
    ]);
    expect(restart.chains.removed.map((c) => c.chain)).toEqual(["KUBE-SEP-DOIEFYKPESCDTYCH"]);
    expect(restart.chains.added).toHaveLength(1);
    expect(restart.chains.changed.map((c) => c.chain)).toEqual(["KUBE-SVC-KBDEBIL6IU6WL7RF"]);
    // By snapshot id the same diff as by node and time.
    const byId = ok(await diffSnapshots(db, "lab", ref(String(restart.from.snapshotId)), ref(String(restart.to.snapshotId))));
    expect(byId.services).toEqual(restart.services);
  });

  it("answers NotFound for a side that names nothing", async () => {
    const { db } = database();
    expect(await diffSnapshots(db, "kind", ref("myk8s-worker9"), ref("myk8s-worker"))).toMatchObject({ notFound: "node", name: "myk8s-worker9" });
    expect(await diffSnapshots(db, "kind", ref(`myk8s-worker@${at(-60)}`), ref("myk8s-worker"))).toMatchObject({ notFound: "snapshot" });
    // A snapshot id of another cluster is not this cluster's.
    const labSnapshot = ok(await listChanges(db, "lab", { limit: 1 })).changes[0]?.snapshotId as number;
    expect(await diffSnapshots(db, "kind", ref(String(labSnapshot)), ref("myk8s-worker"))).toMatchObject({ notFound: "snapshot" });
  });
});
