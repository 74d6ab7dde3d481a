/**
 * Recording and replay end to end: real node agents capturing kube-proxy rules from throwaway network namespaces
 * and kube-inventory watching the lab's control plane post through the recording proxy to the real natwatch app
 * (next dev on a fresh SQLite database). The recording is then replayed into a fresh SQLite and a fresh PostgreSQL
 * database, and the read API of the recorded server and the read use cases on each replayed database must tell the
 * same history — every time moved by the replay's shift.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../collectors/node-agent/agent";
import { createCommandRunner } from "../../collectors/node-agent/capture/run-command";
import { startInventory, type Inventory } from "../../collectors/kube-inventory/run-inventory";
import { startControlPlane, type ControlPlane } from "../../lab/control-plane/control-plane";
import { writeKubeconfig } from "../../lab/control-plane/kubeconfig";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "../../lab/control-plane/sample-objects";
import { startRecordingProxy, type RecordingProxy } from "../../lab/recording/record-proxy";
import { readRecording, type Recording } from "../../lab/recording/recording-format";
import { replayRecording, type ReplayResult } from "../../lab/recording/replay";
import { shiftTimes } from "../../lab/recording/time-shift";
import { gzipSync } from "node:zlib";
import type { Db } from "../../lib/server/db";
import { getConntrackSeries } from "../../lib/server/queries/get-conntrack-series";
import { listChanges } from "../../lib/server/queries/list-changes";
import { listNodes } from "../../lib/server/queries/list-nodes";
import { listSnapshots } from "../../lib/server/queries/list-snapshots";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { startAppServer, type AppServer } from "./support/app-server";
import { createTestDatabase, providers, useTestDatabase, type TestDatabase } from "./support/databases";
import { buildCapture, renderedDump, seedService } from "./support/ingest-fixtures";
import { createNetns, deleteNetns, inNetns } from "./support/netns";

const CLUSTER = "lab-rec";
const NODES = ["myk8s-worker", "myk8s-worker2"] as const;
const WEBPODS = ["10.10.1.2", "10.10.2.2", "10.10.3.3"];
const RESTARTED = ["10.10.1.2", "10.10.2.5", "10.10.3.3"];

/** kube-proxy's rules for the seed's service with these endpoints, loaded into the namespace's nat table. */
async function loadRules(ns: string, webpods: readonly string[]): Promise<void> {
  const file = path.join(os.tmpdir(), `${ns}.rules`);
  await writeFile(file, renderedDump([seedService(webpods)]));
  await inNetns(ns, "iptables-restore", [file]);
  await rm(file);
}

/** A JSON answer with database ids left out (each database numbers its rows) and its times moved by `shiftMs`. */
function comparable(value: unknown, shiftMs = 0): unknown {
  const withoutIds = JSON.parse(JSON.stringify(value), (key, item: unknown) => (key === "id" || /[a-z]Id$/.test(key) ? undefined : item)) as unknown;
  return shiftTimes(withoutIds, shiftMs);
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

describe("recording the collectors' posts and replaying them", () => {
  const recorded = useTestDatabase("sqlite");
  let app: AppServer;
  let dir: string;
  let recording: Recording;
  /** The recorded server's answers, read once the recording is complete. */
  const readApi: { nodes?: unknown; changes?: unknown; snapshots: Record<string, unknown> } = { snapshots: {} };
  let range: { from: Date; to: Date };
  const namespaces: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-recording-"));
    app = await startAppServer({ databaseUrl: recorded().url, env: { NATWATCH_RETENTION_DAYS: "30" } });
    const { token } = await createIngestToken(recorded().db, { cluster: CLUSTER, label: "lab" });
    const proxy: RecordingProxy = await startRecordingProxy({ target: app.url, dir });
    const plane: ControlPlane = await startControlPlane();
    const agents: RunningAgent[] = [];
    let inventory: Inventory | undefined;
    const steps: { name: string; at: string }[] = [];
    const step = (name: string) => steps.push({ name, at: new Date().toISOString() });
    try {
      plane.apply("Node", nodeObject({ name: NODES[0], ip: "172.18.0.3", podCIDR: "10.10.1.0/24" }));
      plane.apply("Service", serviceObject({ name: "svc-clusterip", clusterIP: "10.200.1.201", port: 9000, targetPort: 80 }));
      const kubeconfig = path.join(dir, "..", `${path.basename(dir)}.kubeconfig`);
      await writeKubeconfig(kubeconfig, plane.url);
      inventory = startInventory(
        { server: proxy.url, token, cluster: CLUSTER, kube: { kind: "kubeconfig", path: kubeconfig }, batchIntervalMs: 100, batchSize: 500, bufferSize: 10_000 },
        { log: () => undefined, watchRetryMs: { first: 100, max: 500 }, postBackoffMs: { base: 100, max: 500 } },
      );
      await inventory.synced;

      step("pods up");
      const webpods = WEBPODS.map((ip, i) => podObject({ name: `webpod${i + 1}`, node: `myk8s-worker${i ? i + 1 : ""}`, ip, labels: { app: "webpod" } }));
      for (const pod of webpods) plane.apply("Pod", pod);
      const endpoints = (ips: readonly string[]) => ips.map((ip, i) => ({ ip, node: `myk8s-worker${i ? i + 1 : ""}`, pod: `webpod${i + 1}` }));
      plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-clusterip-7xk2p", service: "svc-clusterip", endpoints: endpoints(WEBPODS), port: 80 }));
      for (const [i, name] of NODES.entries()) {
        const ns = await createNetns(`rec-${i}`);
        namespaces.push(ns);
        await loadRules(ns, WEBPODS);
        const prefix = ["ip", "netns", "exec", ns];
        const spoolDir = await mkdtemp(path.join(os.tmpdir(), "natwatch-spool-"));
        const agent = await startAgent(
          { server: proxy.url, token, cluster: CLUSTER, node: name, intervalMs: 3_600_000, debounceMs: 200, spoolDir, spoolMaxFiles: 100, spoolMaxBytes: 50_000_000, execPrefix: prefix, metricsPort: 0, watch: false },
          { runner: createCommandRunner(prefix), now: () => new Date(), log: () => undefined },
        );
        agents.push(agent);
        await agent.ready;
      }

      step("webpod2 restarted");
      plane.remove("Pod", "default", "webpod2");
      plane.apply("Pod", podObject({ name: "webpod2", node: "myk8s-worker2", ip: "10.10.2.5", labels: { app: "webpod" } }));
      plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-clusterip-7xk2p", service: "svc-clusterip", endpoints: endpoints(RESTARTED), port: 80 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const [i, agent] of agents.entries()) {
        await loadRules(namespaces[i]!, RESTARTED);
        await agent.captureNow();
      }

      step("connections");
      // Two clients' connections to the ClusterIP, DNAT'd to a webpod as kube-proxy's KUBE-SEP rule leaves them.
      for (const port of [40000, 40001]) {
        await inNetns(namespaces[1]!, "conntrack", ["-I", "-p", "tcp", "--src", "10.0.0.5", "--dst", "10.200.1.201", "--sport", String(port), "--dport", "9000",
          "--reply-src", "10.10.2.5", "--reply-dst", "10.0.0.5", "--reply-port-src", "80", "--reply-port-dst", String(port), "--state", "ESTABLISHED", "--timeout", "300"]);
      }
      for (const agent of agents) await agent.captureNow();

      // Uploads the server refused stored nothing there and must not be replayed: a valid capture under a token
      // the server does not know (401), and an unchanged capture naming a ruleset the server never saw (409).
      const stray = buildCapture(renderedDump([seedService(["10.10.9.9"])]), { cluster: CLUSTER, node: "ghost-node", capturedAt: new Date().toISOString() });
      const post = (authorization: string, body: unknown) =>
        fetch(`${proxy.url}/api/v1/captures`, { method: "POST", headers: { authorization, "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync(JSON.stringify(body)) });
      expect((await post("Bearer not-a-token", stray.upload)).status).toBe(401);
      const { manifest: _manifest, ...digestOnly } = stray.upload;
      expect((await post(`Bearer ${token}`, { ...digestOnly, rulesetDigest: "f".repeat(64), chains: [] })).status).toBe(409);

      step("done");
      await waitFor("kube-inventory's 9 events", async () => (await recorded().db.kubeEvent.count({ where: { cluster: { name: CLUSTER } } })) === 9);
    } finally {
      for (const agent of agents) await agent.stop();
      await inventory?.stop(5_000);
      await plane.stop();
      await proxy.close();
    }
    await writeFile(path.join(dir, "scenario.json"), JSON.stringify({ scenario: "replay-test", steps }));
    recording = await readRecording(dir);

    range = { from: new Date(Date.parse(steps[0]!.at) - 60_000), to: new Date(Date.parse(steps.at(-1)!.at) + 60_000) };
    readApi.nodes = await getJson(`${app.url}/api/v1/clusters/${CLUSTER}/nodes`);
    readApi.changes = await getJson(`${app.url}/api/v1/clusters/${CLUSTER}/changes?limit=1000`);
    for (const node of NODES) readApi.snapshots[node] = await getJson(`${app.url}/api/v1/clusters/${CLUSTER}/nodes/${node}/snapshots`);
  }, 400_000);

  afterAll(async () => {
    await app?.stop();
    for (const ns of namespaces) await deleteNetns(ns).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("records every ingest post with the server's answer, refusals included", () => {
    const statuses = recording.requests.map((r) => `${r.path} ${r.status}`);
    expect(statuses).toContain("/api/v1/captures 401");
    expect(statuses).toContain("/api/v1/captures 409");
    expect(statuses.filter((s) => s === "/api/v1/captures 201")).toHaveLength(6);
    expect(statuses.some((s) => s === "/api/v1/kube-events 201")).toBe(true);
    expect(recording.requests.find((r) => r.status === 401)?.body).toMatchObject({ node: "ghost-node", cluster: CLUSTER });
  });

  describe.each(providers)("replayed into a fresh %s database", (provider) => {
    let target: TestDatabase;
    let replay: ReplayResult;
    const end = new Date(Date.now() + 3_600_000 - 1);

    beforeAll(async () => {
      target = await createTestDatabase(provider);
      replay = await replayRecording(target.db, recording, { retentionDays: 30, end });
    }, 240_000);
    afterAll(async () => {
      await target?.drop();
    });

    it("stores the accepted posts only, moved to end at the given time in whole seconds", () => {
      expect(replay.alreadyPresent).toBe(false);
      expect(replay.captures).toEqual({ stored: 6, duplicates: 0 });
      expect(replay.kubeEvents).toEqual({ stored: 9, duplicates: 0 });
      expect(replay.skipped).toBe(recording.requests.filter((r) => r.status >= 300).length);
      expect(replay.skipped).toBeGreaterThanOrEqual(2);
      expect(replay.clusters).toEqual([CLUSTER]);
      const last = Math.max(...recording.requests.map((r) => Date.parse(r.at)));
      expect(replay.shiftMs % 1000).toBe(0);
      expect(last + replay.shiftMs).toBeLessThanOrEqual(end.getTime());
      expect(last + replay.shiftMs).toBeGreaterThan(end.getTime() - 1000);
    });

    it("gives the recorded server's nodes, snapshots and changes, time-shifted", async () => {
      const db: Db = target.db;
      const { shiftMs } = replay;
      expect(comparable({ cluster: CLUSTER, nodes: await listNodes(db, CLUSTER) })).toEqual(comparable(readApi.nodes, shiftMs));
      for (const node of NODES) expect(comparable(await listSnapshots(db, CLUSTER, node))).toEqual(comparable(readApi.snapshots[node], shiftMs));
      const changes = await listChanges(db, CLUSTER, { limit: 1000 });
      expect(comparable(changes)).toEqual(comparable(readApi.changes, shiftMs));
      // The restart is there on both nodes, tied to the kube event that named the new pod's IP.
      const added = (changes as { changes: { detail: { endpoint?: { address?: string } }; cause: { ip: string } | null }[] }).changes.filter(
        (c) => c.detail.endpoint?.address === "10.10.2.5:80",
      );
      expect(added).toHaveLength(2);
      for (const change of added) expect(change.cause?.ip).toBe("10.10.2.5");
      expect(await db.capture.count({ where: { node: { name: "ghost-node" } } })).toBe(0);
    });

    it("gives the same conntrack series and kube events, time-shifted", async () => {
      const { shiftMs } = replay;
      const shifted = { from: new Date(range.from.getTime() + shiftMs), to: new Date(range.to.getTime() + shiftMs) };
      // One-second buckets: the shift is whole seconds, so every sample stays in its bucket.
      const series = await getConntrackSeries(target.db, CLUSTER, NODES[1], { ...shifted, bucketSeconds: 1 });
      expect(comparable(series)).toEqual(comparable(await getConntrackSeries(recorded().db, CLUSTER, NODES[1], { ...range, bucketSeconds: 1 }), shiftMs));
      expect((series as { points: unknown[] }).points.length).toBeGreaterThan(0);
      const flows = (db: Db) =>
        db.flowAggregate.findMany({ where: { node: { cluster: { name: CLUSTER } } }, orderBy: [{ capturedAt: "asc" }, { endpoint: "asc" }], select: { capturedAt: true, destination: true, endpoint: true, state: true, count: true, servicePort: true } });
      const replayedFlows = await flows(target.db);
      expect(replayedFlows).toContainEqual(expect.objectContaining({ destination: "10.200.1.201:9000", endpoint: "10.10.2.5:80", count: 2 }));
      expect(comparable(replayedFlows)).toEqual(comparable(await flows(recorded().db), shiftMs));
      const events = (db: Db) =>
        db.kubeEvent.findMany({ where: { cluster: { name: CLUSTER } }, orderBy: { at: "asc" }, select: { kind: true, type: true, name: true, resourceVersion: true, at: true, object: true, ips: { select: { ip: true, at: true } } } });
      expect(comparable(await events(target.db))).toEqual(comparable(await events(recorded().db), shiftMs));
    });

    it("moves the scenario's step times with the history", () => {
      const scenario = replay.scenario as { scenario: string; steps: { name: string; at: string }[] };
      const original = recording.scenario as typeof scenario;
      expect(scenario.scenario).toBe("replay-test");
      expect(scenario.steps.map((s) => s.name)).toEqual(["pods up", "webpod2 restarted", "connections", "done"]);
      for (const [i, s] of scenario.steps.entries()) expect(Date.parse(s.at) - Date.parse(original.steps[i]!.at)).toBe(replay.shiftMs);
    });

    it("changes nothing when replayed again later, and keeps the first replay's times", async () => {
      const counts = async () => ({
        captures: await target.db.capture.count(),
        snapshots: await target.db.snapshot.count(),
        changes: await target.db.serviceChange.count(),
        events: await target.db.kubeEvent.count(),
        conntrack: await target.db.conntrackSample.count(),
      });
      const before = await counts();
      const again = await replayRecording(target.db, recording, { retentionDays: 30, end: new Date(end.getTime() + 600_000) });
      expect(again.alreadyPresent).toBe(true);
      expect(again.shiftMs).toBe(replay.shiftMs);
      expect(again.captures).toEqual({ stored: 0, duplicates: 6 });
      expect(again.kubeEvents).toEqual({ stored: 0, duplicates: 9 });
      expect(again.scenario).toEqual(replay.scenario);
      expect(await counts()).toEqual(before);
    });
  });
});
