/** Retention: history older than N days goes; each node's last known rules, and everything they need, stay. */
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_CLUSTER, loadDemoHistory } from "../../scripts/demo-data";
import { pruneHistory } from "../../lib/server/retention/prune-history";
import { listServicePorts } from "../../lib/server/queries/list-service-ports";
import { getSnapshotRuleset } from "../../lib/server/queries/get-snapshot-ruleset";
import { providers, useTestDatabase } from "./support/databases";

const DAY = 86_400_000;

describe.each(providers)("retention on %s", (provider) => {
  const database = useTestDatabase(provider);
  const now = new Date();
  const storyEnd = new Date(now.getTime() - 10 * DAY);

  beforeAll(async () => {
    await loadDemoHistory(database().db, { end: storyEnd });
  }, 240_000);

  it("keeps everything younger than the window", async () => {
    const before = await database().db.snapshot.count();
    const result = await pruneHistory(database().db, 30, now);
    expect(result).toMatchObject({ captures: 0, snapshots: 0, serviceChanges: 0, rulesets: 0, chainBodies: 0, ruleCounterSamples: 0 });
    expect(await database().db.snapshot.count()).toBe(before);
  });

  it("drops older history but keeps each node's last rules, their bodies and the counters the next delta needs", async () => {
    const db = database().db;
    // A body only an already-deleted ruleset named (what an earlier prune of its ruleset leaves to this step).
    await db.chainBody.create({ data: { digest: "0".repeat(64), table: "nat", text: "-A KUBE-SEP-GONE -j DNAT --to-destination 10.10.9.9:80", ruleCount: 1 } });
    const result = await pruneHistory(db, 5, now);
    expect(result.snapshots).toBeGreaterThan(0);
    expect(result.captures).toBeGreaterThan(0);
    expect(result.serviceChanges).toBeGreaterThan(0);
    expect(result.kubeEvents).toBeGreaterThan(0);
    expect(result.chainBodies).toBe(1);

    const snapshots = await db.snapshot.findMany({ include: { node: true } });
    expect(snapshots.map((s) => s.node.name).sort()).toEqual(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
    expect(await db.serviceChange.count()).toBe(0);
    expect(await db.kubeEvent.count()).toBe(0);
    // Nothing is left dangling, and nothing still needed was removed: each kept snapshot's ruleset (and the rulesets
    // it is a delta of) stays, with every body its manifest names.
    expect(await db.chainBody.count({ where: { rulesetChains: { none: {} } } })).toBe(0);
    expect(await db.ruleset.count({ where: { snapshots: { none: {} }, deltas: { none: {} } } })).toBe(0);

    // Every kept snapshot still reads back whole: the ruleset, its manifest rows and its chain bodies survived.
    for (const snapshot of snapshots) {
      const ruleset = await getSnapshotRuleset(db, DEMO_CLUSTER, snapshot.node.name, snapshot.id);
      expect("notFound" in ruleset, snapshot.node.name).toBe(false);
    }
    // The last known state is what the dashboard shows: worker3 still out of step.
    const list = await listServicePorts(db, DEMO_CLUSTER, { names: ["default/svc-clusterip:svc-webport"], at: now });
    if ("notFound" in list) throw new Error(list.message);
    expect(list.servicePorts[0]!.agreement).toEqual({ agreeing: 3, nodes: 4 });

    // The control plane's counters of the 100 requests were last sampled before the cutoff: the latest sample of each
    // rule stays, so the next capture's delta is not the whole counter again.
    expect(await db.ruleCounterSample.count()).toBeGreaterThan(0);
  });
});
