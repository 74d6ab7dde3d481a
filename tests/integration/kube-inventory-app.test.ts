/**
 * kube-inventory end to end: the lab's control plane (a wire-true API server) → the collector → the real natwatch app
 * (next dev on a fresh database of each provider) → KubeEvent rows. Each test has its own cluster and token, so its rows are
 * its own. natwatch going away is a TCP relay in front of the app that stops listening (connection refused) and
 * comes back on the same port, as a restarting server does.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect, type Server, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { InventoryConfig } from "../../collectors/kube-inventory/config";
import { startInventory, type Inventory } from "../../collectors/kube-inventory/run-inventory";
import { startControlPlane, type ControlPlane } from "../../lab/control-plane/control-plane";
import { writeKubeconfig } from "../../lab/control-plane/kubeconfig";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "../../lab/control-plane/sample-objects";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { startAppServer, type AppServer } from "./support/app-server";
import { providers, useTestDatabase } from "./support/databases";
import { buildCapture, ingestWithResend, renderedDump, repoRoot, seedService } from "./support/ingest-fixtures";

/** A TCP relay to `target` that can stop listening and start again on its port. */
interface Relay {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
}

async function startRelay(target: URL): Promise<Relay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
    up: listen,
  };
}

describe.each(providers)("kube-inventory into the natwatch app on %s", (provider) => {
  const database = useTestDatabase(provider);
  let app: AppServer;
  let plane: ControlPlane;
  let dir: string;
  let inventory: Inventory | undefined;
  const answers: { stored: number; duplicates: number }[] = [];
  let clusters = 0;

  beforeAll(async () => {
    app = await startAppServer({ databaseUrl: database().url });
    dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-kube-inventory-"));
  }, 300_000);
  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await inventory?.stop(5_000);
    inventory = undefined;
    await plane?.stop();
  });

  /** A new control plane, kubeconfig, cluster and token for one test. */
  async function setUp(): Promise<{ config: InventoryConfig; cluster: string }> {
    plane = await startControlPlane();
    const cluster = `kind-${++clusters}`;
    const kubeconfig = path.join(dir, `${cluster}.kubeconfig`);
    await writeKubeconfig(kubeconfig, plane.url);
    const { token } = await createIngestToken(database().db, { cluster, label: "kube-inventory" });
    const config: InventoryConfig = {
      server: app.url,
      token,
      cluster,
      kube: { kind: "kubeconfig", path: kubeconfig },
      batchIntervalMs: 100,
      batchSize: 500,
      bufferSize: 10_000,
    };
    return { config, cluster };
  }

  function start(config: InventoryConfig): Inventory {
    answers.length = 0;
    inventory = startInventory(config, {
      log: (_level, msg, fields) => {
        if (msg === "events posted") answers.push(fields?.answer as { stored: number; duplicates: number });
      },
      watchRetryMs: { first: 100, max: 500 },
      postBackoffMs: { base: 100, max: 500 },
    });
    return inventory;
  }

  /** The cluster's stored events as `TYPE Kind ns/name@rv`, in storing order. */
  async function storedEvents(cluster: string): Promise<string[]> {
    const rows = await database().db.kubeEvent.findMany({ where: { cluster: { name: cluster } }, orderBy: { id: "asc" } });
    return rows.map((r) => `${r.type} ${r.kind} ${r.namespace}/${r.name}@${r.resourceVersion}`);
  }

  it("stores pods, services, slices and nodes with the IPs that link them to rule changes", async () => {
    const { config, cluster } = await setUp();
    plane.apply("Node", nodeObject({ name: "myk8s-worker", ip: "172.18.0.3", podCIDR: "10.10.1.0/24" }));
    plane.apply("Service", serviceObject({ name: "svc-clusterip", clusterIP: "10.200.1.176", port: 9000 }));
    const before = Date.now();
    await start(config).synced;
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2", phase: "Pending" }));
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-clusterip-7xk2p", service: "svc-clusterip", endpoints: [{ ip: "10.10.1.2", node: "myk8s-worker", pod: "web-1" }], port: 80 }));
    plane.remove("Pod", "default", "web-1");
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(6);

    expect((await storedEvents(cluster)).sort()).toEqual(
      [
        "ADDED Node /myk8s-worker@2",
        "ADDED Service default/svc-clusterip@3",
        "ADDED Pod default/web-1@4",
        "MODIFIED Pod default/web-1@5",
        "ADDED EndpointSlice default/svc-clusterip-7xk2p@6",
        "DELETED Pod default/web-1@7",
      ].sort(),
    );
    const { db } = database();
    const ipsOf = async (kind: string) =>
      (await db.kubeEventIp.findMany({ where: { event: { kind, cluster: { name: cluster } } }, select: { ip: true } })).map((r) => r.ip);
    expect(await ipsOf("Pod")).toEqual(["10.10.1.2", "10.10.1.2", "10.10.1.2"]);
    expect(await ipsOf("EndpointSlice")).toEqual(["10.10.1.2"]);
    expect(await ipsOf("Service")).toEqual(["10.200.1.176"]);
    expect(await ipsOf("Node")).toEqual(["172.18.0.3"]);
    const events = await db.kubeEvent.findMany({ where: { cluster: { name: cluster } } });
    // observedAt is the collector's clock at receipt, not the object's creationTimestamp.
    for (const event of events) expect(event.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const node = events.find((e) => e.kind === "Node")!.object as { status: Record<string, unknown> };
    expect(Object.keys(node.status)).toEqual(["addresses"]);
    expect(answers.reduce((sum, a) => sum + a.duplicates, 0)).toBe(0);
  });

  it("ties a node's new endpoint in the read API's change timeline to the pod event the collector posted", async () => {
    const { config, cluster } = await setUp();
    const { db } = database();
    const clusterId = (await db.cluster.findUniqueOrThrow({ where: { name: cluster } })).id;
    const node = "myk8s-worker";
    const capture = (ips: string[]) => buildCapture(renderedDump([seedService(ips)]), { cluster, node, capturedAt: new Date().toISOString() });
    await ingestWithResend(db, clusterId, capture(["10.10.1.2"]));
    plane.apply("Pod", podObject({ name: "whoami-7d4b9", node, ip: "10.10.2.7" }));
    await start(config).synced;
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toEqual(["ADDED Pod default/whoami-7d4b9@2"]);
    // kube-proxy on the node follows: the next capture has the new pod's KUBE-SEP chain.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await ingestWithResend(db, clusterId, capture(["10.10.1.2", "10.10.2.7"]));

    const response = await fetch(`${app.url}/api/v1/clusters/${cluster}/changes?kind=endpoint-added`, { signal: AbortSignal.timeout(120_000) });
    const body = (await response.json()) as { changes: { node: string; detail: { endpoint?: { address?: string } }; cause: { kind: string; name: string; type: string; ip: string; delayMs: number } | null }[] };
    expect(response.status).toBe(200);
    const added = body.changes.find((c) => c.detail.endpoint?.address === "10.10.2.7:80");
    expect(added?.node).toBe(node);
    expect(added?.cause).toMatchObject({ kind: "Pod", name: "whoami-7d4b9", type: "ADDED", ip: "10.10.2.7" });
    expect(added?.cause?.delayMs).toBeGreaterThanOrEqual(0);
    expect(added?.cause?.delayMs).toBeLessThan(30_000);
  }, 180_000);

  it("resumes dropped watches without losing or repeating an event", async () => {
    const { config, cluster } = await setUp();
    await start(config).synced;
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(1);
    for (let round = 0; round < 3; round++) {
      expect(plane.dropWatches()).toBe(4);
      // Changes made while no watch is open are replayed by the resumed one.
      plane.apply("Pod", podObject({ name: `gap-${round}`, node: "myk8s-worker", ip: `10.10.1.${10 + round}` }));
      await expect.poll(() => plane.openWatches()).toBe(4);
      plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-x", service: "svc", endpoints: [{ ip: `10.10.1.${10 + round}`, node: "myk8s-worker" }] }));
    }
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(7);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await storedEvents(cluster)).toEqual([
      "ADDED Pod default/web-1@2",
      "ADDED Pod default/gap-0@3",
      "ADDED EndpointSlice default/svc-x@4",
      "ADDED Pod default/gap-1@5",
      "MODIFIED EndpointSlice default/svc-x@6",
      "ADDED Pod default/gap-2@7",
      "MODIFIED EndpointSlice default/svc-x@8",
    ]);
    // The collector never posted an event twice (the server would have dropped it as a duplicate).
    expect(answers.reduce((sum, a) => sum + a.duplicates, 0)).toBe(0);
    expect(plane.requests().filter((r) => !r.includes("watch=true"))).toHaveLength(4);
  });

  it("after a forced 410 Gone relists and stores only the real differences, deletions in the gap as DELETED", async () => {
    const { config, cluster } = await setUp();
    for (let i = 1; i <= 3; i++) plane.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 1}` }));
    plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-x", service: "svc", endpoints: [1, 2, 3].map((i) => ({ ip: `10.10.1.${i + 1}`, node: "myk8s-worker" })) }));
    await start(config).synced;
    // Wait for the collector's own record of the answers, which comes after the rows are committed.
    const posted = () => answers.reduce((sum, a) => sum + a.stored + a.duplicates, 0);
    await expect.poll(posted, { timeout: 30_000 }).toBe(4);
    const postsBefore = answers.length;

    plane.dropWatches();
    plane.remove("Pod", "default", "web-1");
    plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-x", service: "svc", endpoints: [2, 3].map((i) => ({ ip: `10.10.1.${i + 1}`, node: "myk8s-worker" })) }));
    plane.apply("Pod", podObject({ name: "web-4", node: "myk8s-worker", ip: "10.10.1.5" }));
    plane.compact();
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(7);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect((await storedEvents(cluster)).slice(4).sort()).toEqual(
      ["DELETED Pod default/web-1@2", "MODIFIED EndpointSlice default/svc-x@7", "ADDED Pod default/web-4@8"].sort(),
    );
    // Only the three differences travelled, not the relisted pods again.
    const after = answers.slice(postsBefore);
    expect(after.reduce((sum, a) => sum + a.stored + a.duplicates, 0)).toBe(3);
    expect(plane.requests().filter((r) => r.startsWith("GET /api/v1/pods?") && !r.includes("watch=true"))).toHaveLength(2);
  });

  it("buffers while natwatch is unreachable and delivers everything once it is back", async () => {
    const { config, cluster } = await setUp();
    const relay = await startRelay(new URL(app.url));
    await start({ ...config, server: relay.url }).synced;
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(1);

    await relay.down();
    for (let i = 2; i <= 6; i++) plane.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 1}` }));
    plane.remove("Pod", "default", "web-1");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await storedEvents(cluster)).toHaveLength(1);

    await relay.up();
    await expect.poll(() => storedEvents(cluster), { timeout: 30_000 }).toHaveLength(7);
    expect((await storedEvents(cluster)).slice(1)).toEqual([
      "ADDED Pod default/web-2@3",
      "ADDED Pod default/web-3@4",
      "ADDED Pod default/web-4@5",
      "ADDED Pod default/web-5@6",
      "ADDED Pod default/web-6@7",
      "DELETED Pod default/web-1@8",
    ]);
    await inventory?.stop(5_000);
    inventory = undefined;
    await relay.down();
  });

  it("as `natwatch inventory`, flushes its buffer on SIGTERM and exits 0", async () => {
    const { config, cluster } = await setUp();
    plane.apply("Node", nodeObject({ name: "myk8s-control-plane", ip: "172.18.0.2" }));
    const kubeconfig = config.kube.kind === "kubeconfig" ? config.kube.path : "";
    // An interval far beyond the test: only the SIGTERM flush can deliver the events.
    const child = spawn(
      process.execPath,
      ["bin/natwatch.mjs", "inventory", "--server", app.url, "--token", config.token, "--cluster", cluster, "--kubeconfig", kubeconfig, "--batch-interval", "600000"],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await expect.poll(() => stdout.includes('"msg":"synced"'), { timeout: 30_000 }).toBe(true);
      await expect.poll(() => plane.openWatches(), { timeout: 10_000 }).toBe(4);
      plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-control-plane", ip: "10.10.0.5" }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await storedEvents(cluster)).toEqual([]);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    expect(stderr).toBe("");
    expect(await storedEvents(cluster)).toEqual(["ADDED Node /myk8s-control-plane@2", "ADDED Pod default/web-1@3"]);
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as { level: string; msg: string; component: string });
    expect(lines.every((l) => l.component === "kube-inventory")).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["starting", "synced", "signal received; flushing", "events posted", "stopped"]));
  }, 120_000);
});
