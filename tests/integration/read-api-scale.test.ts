/**
 * Read API at DESIGN.md's scale, on both databases:
 * - two nodes of a 10k-service cluster (≈50k endpoints, ≈70k chains each), captured through the capture use case,
 *   one of them with 1% of its services changed as rollouts change them; their diff is the budget's "diff of two
 *   such snapshots" (< 100 ms);
 * - a service with 30 days of history; its page (service port, change timeline, last day of traffic) is the budget's
 *   "service page with 30 days of history" (< 300 ms).
 * Timings are printed for the reader ("first" reads models and manifests from the database unless an earlier block of
 * this process cached the same digests; "warm" is the steady state of a dashboard) but never asserted: CI machines are
 * shared and noisy, and budgets belong to `npm run bench`. The assertions are about what the answers contain.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generateServices, mutateServices, renderServicesDump } from "../../bench/generate-nat-dump";
import { diffServiceModels } from "../../lib/diff/diff-service-models";
import type { Db } from "../../lib/server/db";
import { diffSnapshots, type SnapshotDiff } from "../../lib/server/queries/diff-snapshots";
import { getEndpointTraffic } from "../../lib/server/queries/get-endpoint-traffic";
import { getServicePort } from "../../lib/server/queries/get-service-port";
import { listChanges } from "../../lib/server/queries/list-changes";
import { listNodes } from "../../lib/server/queries/list-nodes";
import { listServicePorts } from "../../lib/server/queries/list-service-ports";
import { readRulesetModel } from "../../lib/server/queries/read-ruleset-model";
import { providers, useTestDatabase } from "./support/databases";
import { capture, recordSeedHistory, WEB_PORT } from "./support/history-fixtures";

const services = generateServices({ services: 10_000 });
const dumps = { before: renderServicesDump(services), after: renderServicesDump(mutateServices(services, 0.01)) };

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe.each(providers)("read API at scale on %s", (provider) => {
  const database = useTestDatabase(provider);
  beforeAll(async () => {
    const { db } = database();
    const cluster = await db.cluster.create({ data: { name: "big" } });
    await capture(db, cluster.id, "node-a", dumps.before, 0);
    await capture(db, cluster.id, "node-b", dumps.after, 0);
  }, 600_000);

  it("diffs two 10k-service nodes by the ports that changed, the same changes as a full comparison", async () => {
    const { db } = database();
    const first = await timed(() => diffSnapshots(db, "big", { node: "node-a", at: null }, { node: "node-b", at: null }));
    const diff = first.value as SnapshotDiff;
    const warm: number[] = [];
    for (let i = 0; i < 7; i++) warm.push((await timed(() => diffSnapshots(db, "big", { node: "node-a", at: null }, { node: "node-b", at: null }))).ms);
    console.log(`${provider}: 10k-service diff first ${first.ms.toFixed(0)} ms, warm median ${median(warm).toFixed(0)} ms (${warm.map((m) => m.toFixed(0)).join(" ")})`);

    // The same service changes as a full comparison of the two models.
    const [a, b] = await Promise.all([readRulesetModel(db, diff.from.rulesetDigest), readRulesetModel(db, diff.to.rulesetDigest)]);
    const full = diffServiceModels(a!, b!);
    expect(diff.services.flatMap((s) => s.changes)).toEqual(full);
    expect(diff.services.length).toBeGreaterThanOrEqual(100);
    expect(diff.chains.unchanged).toBeGreaterThan(60_000);
    expect(diff.chains.changed.every((c) => c.chain.startsWith("KUBE-SVC-") || c.chain.startsWith("KUBE-SVL-"))).toBe(true);
  });

  it("lists nodes and a page of service ports without reading rulesets", async () => {
    const { db } = database();
    const nodes = await timed(() => listNodes(db, "big"));
    const page = await timed(() => listServicePorts(db, "big", { limit: 100 }));
    const again = await timed(() => listServicePorts(db, "big", { limit: 100 }));
    const one = await timed(() => getServicePort(db, "big", services[42]!.namespace + "/" + services[42]!.name + ":" + services[42]!.ports[0]!.name));
    console.log(
      `${provider}: nodes ${nodes.ms.toFixed(0)} ms; services page ${page.ms.toFixed(0)} ms, again ${again.ms.toFixed(0)} ms; one service port ${one.ms.toFixed(0)} ms`,
    );
    expect(Array.isArray(nodes.value) && nodes.value.map((n) => n.current.ipv4?.chains)).toEqual([expect.any(Number), expect.any(Number)]);
    expect("notFound" in page.value ? 0 : page.value.total).toBeGreaterThan(10_000);
    expect("notFound" in one.value ? one.value.message : one.value.agreement.nodes).toBe(2);
  });

  it("renders a service page with 30 days of history from the indexes", async () => {
    const { db } = database();
    const seed = await recordSeedHistory(db, "month");
    await fillMonthOfHistory(db, seed.clusterId);
    // The page: the service port on every node, the newest changes, and the last day of traffic per endpoint.
    const page = async () =>
      Promise.all([
        getServicePort(db, "month", WEB_PORT),
        listChanges(db, "month", { service: WEB_PORT, limit: 50 }),
        getEndpointTraffic(db, "month", WEB_PORT, { from: new Date(Date.now() - 86_400_000), to: new Date() }),
      ]);
    await page();
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push((await timed(page)).ms);
    const month = await timed(() => getEndpointTraffic(db, "month", WEB_PORT, { from: new Date(Date.now() - 30 * 86_400_000), to: new Date() }));
    console.log(
      `${provider}: service page with 30 days of history median ${median(runs).toFixed(0)} ms (${runs.map((m) => m.toFixed(0)).join(" ")}); ` +
        `30 days of traffic in ${"notFound" in month.value ? 0 : month.value.buckets.length} buckets ${month.ms.toFixed(0)} ms`,
    );
    const [port, changes, traffic] = await page();
    expect("notFound" in port ? null : port.agreement).toEqual({ agreeing: 4, nodes: 4 });
    expect("notFound" in changes ? 0 : changes.changes.length).toBe(50);
    expect("notFound" in traffic ? 0 : traffic.overall.newConnections).toBeGreaterThan(0);
  });
});

/**
 * Thirty days of a busy service's derived history, written in bulk: producing it through ingest would take one
 * capture per node per window. One traffic window per node and endpoint every 10 minutes, every minute for the last
 * day (what one capture a minute leaves), and a rollout replacing each pod once a day, seen by all four nodes.
 */
async function fillMonthOfHistory(db: Db, clusterId: number): Promise<void> {
  const nodes = await db.node.findMany({ where: { clusterId }, select: { id: true } });
  const snapshot = await db.snapshot.findFirstOrThrow({ where: { node: { clusterId } }, select: { id: true } });
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const endpoints = ["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"];
  const traffic = [];
  for (let t = now - 30 * 86_400_000 + 30_000; t < now; t += t < now - 86_400_000 ? 600_000 : 60_000) {
    for (const node of nodes) {
      for (const endpoint of endpoints) {
        traffic.push({ nodeId: node.id, servicePort: WEB_PORT, endpoint, windowStart: new Date(t), windowEnd: new Date(t + 60_000), newConnections: 1 + (t % 7) });
      }
    }
  }
  for (let i = 0; i < traffic.length; i += 5_000) await db.endpointTraffic.createMany({ data: traffic.slice(i, i + 5_000) });
  const changes = [];
  for (let day = 30; day >= 1; day--) {
    for (const node of nodes) {
      for (const [kind, address] of [["endpoint-removed", "10.10.2.2:80"], ["endpoint-added", "10.10.2.5:80"]] as const) {
        changes.push({ clusterId, nodeId: node.id, snapshotId: snapshot.id, servicePort: WEB_PORT, kind, detail: { endpoint: { address } }, at: new Date(now - day * 86_400_000) });
      }
    }
  }
  await db.serviceChange.createMany({ data: changes });
  expect(traffic.length).toBeGreaterThan(50_000);
}
