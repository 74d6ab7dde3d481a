/**
 * The collector against the lab's control plane, posting to a small receiver that validates every batch with the
 * wire contract and can refuse posts (natwatch down). The full path through the real app is in
 * tests/integration/kube-inventory-*.test.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../lab/control-plane/control-plane";
import { writeKubeconfig } from "../../lab/control-plane/kubeconfig";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "../../lab/control-plane/sample-objects";
import { kubeEventBatchSchema, type KubeEventBatch } from "../../lib/contracts/kube-events";
import type { InventoryConfig } from "./config";
import type { LogLevel } from "./log";
import { startInventory, type Inventory } from "./run-inventory";

interface Receiver {
  url: string;
  batches: KubeEventBatch[];
  /** Answer 503 while true. */
  down: boolean;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver = { batches: [] as KubeEventBatch[], down: false } as Receiver;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (receiver.down || req.headers.authorization !== "Bearer nwt_test") {
        res.writeHead(receiver.down ? 503 : 401).end("{}");
        return;
      }
      receiver.batches.push(kubeEventBatchSchema.parse(JSON.parse(body)));
      res.writeHead(201, { "content-type": "application/json" }).end('{"stored":0,"duplicates":0}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

const described = (batches: KubeEventBatch[]) =>
  batches.flatMap((b) => b.events).map((e) => `${e.type} ${e.kind} ${e.object.metadata.namespace ?? ""}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);

describe("kube-inventory against the lab control plane", () => {
  let plane: ControlPlane;
  let receiver: Receiver;
  let dir: string;
  let config: InventoryConfig;
  let inventory: Inventory | undefined;
  const logs: { level: LogLevel; msg: string }[] = [];

  beforeEach(async () => {
    plane = await startControlPlane();
    receiver = await startReceiver();
    dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-inv-"));
    await writeKubeconfig(path.join(dir, "kubeconfig"), plane.url);
    config = {
      server: receiver.url,
      token: "nwt_test",
      cluster: "kind",
      kube: { kind: "kubeconfig", path: path.join(dir, "kubeconfig") },
      batchIntervalMs: 50,
      batchSize: 500,
      bufferSize: 1000,
    };
    logs.length = 0;
  });
  afterEach(async () => {
    await inventory?.stop(2_000);
    inventory = undefined;
    await plane.stop();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (overrides: Partial<InventoryConfig> = {}) => {
    inventory = startInventory({ ...config, ...overrides }, {
      log: (level, msg) => logs.push({ level, msg }),
      watchRetryMs: { first: 50, max: 200 },
      postBackoffMs: { base: 20, max: 100 },
    });
    return inventory;
  };

  it("reports existing objects as ADDED, then every change once, with trimmed objects", async () => {
    plane.apply("Node", nodeObject({ name: "myk8s-worker", ip: "172.18.0.3" }));
    plane.apply("Service", serviceObject({ name: "svc-clusterip", clusterIP: "10.200.1.176", port: 9000 }));
    await start().synced;
    await expect.poll(() => described(receiver.batches).length).toBe(2);
    const pod = plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-clusterip-x", service: "svc-clusterip", endpoints: [{ ip: "10.10.1.2", node: "myk8s-worker" }] }));
    plane.remove("Pod", "default", "web-1");
    await expect.poll(() => described(receiver.batches).length).toBe(5);
    expect(described(receiver.batches).sort()).toEqual(
      [
        "ADDED Node /myk8s-worker@2",
        "ADDED Service default/svc-clusterip@3",
        `ADDED Pod default/web-1@${pod.metadata.resourceVersion}`,
        "ADDED EndpointSlice default/svc-clusterip-x@5",
        "DELETED Pod default/web-1@6",
      ].sort(),
    );
    const node = receiver.batches.flatMap((b) => b.events).find((e) => e.kind === "Node")!;
    expect(node.object).not.toHaveProperty("status.conditions");
    expect(receiver.batches.every((b) => b.cluster === "kind" && b.dropped === 0)).toBe(true);
  });

  it("resumes a dropped watch from the last resourceVersion: no loss, no repeat, no relist", async () => {
    await start().synced;
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    await expect.poll(() => described(receiver.batches).length).toBe(1);
    const lists = plane.requests().filter((r) => !r.includes("watch=true")).length;
    expect(plane.dropWatches()).toBe(4);
    // Changes while no watch is open are replayed by the resumed watch.
    plane.apply("Pod", podObject({ name: "web-2", node: "myk8s-worker", ip: "10.10.1.3" }));
    await expect.poll(() => plane.openWatches()).toBe(4);
    plane.apply("Pod", podObject({ name: "web-3", node: "myk8s-worker", ip: "10.10.1.4" }));
    await expect.poll(() => described(receiver.batches).length).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(described(receiver.batches)).toEqual(["ADDED Pod default/web-1@2", "ADDED Pod default/web-2@3", "ADDED Pod default/web-3@4"]);
    expect(plane.requests().filter((r) => !r.includes("watch=true")).length).toBe(lists);
  });

  it("after 410 Gone lists again and reports only the differences, deletions in the gap included", async () => {
    for (let i = 1; i <= 3; i++) plane.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 1}` }));
    await start().synced;
    await expect.poll(() => described(receiver.batches).length).toBe(3);
    receiver.batches.length = 0;
    // Changes while the watches are down, then the history they would resume from is compacted away.
    plane.dropWatches();
    plane.remove("Pod", "default", "web-1");
    plane.apply("Pod", podObject({ name: "web-2", node: "myk8s-worker", ip: "10.10.1.3", phase: "Failed" }));
    plane.apply("Pod", podObject({ name: "web-4", node: "myk8s-worker", ip: "10.10.1.5" }));
    plane.compact();
    await expect.poll(() => described(receiver.batches).length).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(described(receiver.batches)).toEqual(["DELETED Pod default/web-1@2", "MODIFIED Pod default/web-2@6", "ADDED Pod default/web-4@7"]);
    expect(logs.some((l) => l.msg.startsWith("watch expired (410 Gone)"))).toBe(true);
  });

  it("resumes from a BOOKMARK's resourceVersion, so quiet kinds survive a compaction without a relist", async () => {
    await start().synced;
    // Services change; the Pod watch sees nothing of it but a bookmark at the new resourceVersion.
    plane.apply("Service", serviceObject({ name: "svc-a", clusterIP: "10.200.1.5", port: 80 }));
    plane.apply("Service", serviceObject({ name: "svc-b", clusterIP: "10.200.1.6", port: 80 }));
    await expect.poll(() => described(receiver.batches).length).toBe(2);
    plane.sendBookmarks();
    await new Promise((resolve) => setTimeout(resolve, 100));
    plane.dropWatches();
    plane.compact();
    await expect.poll(() => plane.openWatches()).toBe(4);
    const requests = plane.requests();
    expect(requests.filter((r) => !r.includes("watch=true"))).toHaveLength(4);
    expect(requests.filter((r) => r.startsWith("GET /api/v1/pods?") && r.includes("watch=true")).at(-1)).toContain(`resourceVersion=${plane.resourceVersion()}`);
    expect(logs.some((l) => l.msg.startsWith("watch expired"))).toBe(false);
  });

  it("buffers while natwatch is down and reports the oldest events it had to drop", async () => {
    receiver.down = true;
    await start({ bufferSize: 3 }).synced;
    for (let i = 1; i <= 5; i++) plane.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 1}` }));
    await expect.poll(() => logs.filter((l) => l.msg === "post refused for now").length).toBeGreaterThan(1);
    receiver.down = false;
    await expect.poll(() => receiver.batches.length).toBe(1);
    expect(described(receiver.batches)).toEqual(["ADDED Pod default/web-3@4", "ADDED Pod default/web-4@5", "ADDED Pod default/web-5@6"]);
    expect(receiver.batches[0]?.dropped).toBe(2);
  });

  it("lists a large cluster in pages of 500 and reports each object once", async () => {
    for (let i = 0; i < 1201; i++) plane.apply("Pod", podObject({ name: `web-${String(i).padStart(4, "0")}`, node: "myk8s-worker", ip: `10.11.${i >> 8}.${i & 255}` }));
    await start().synced;
    await expect.poll(() => described(receiver.batches).length).toBe(1201);
    expect(new Set(described(receiver.batches)).size).toBe(1201);
    const podLists = plane.requests().filter((r) => r.startsWith("GET /api/v1/pods?") && !r.includes("watch=true"));
    expect(podLists).toHaveLength(3);
    expect(podLists.every((r) => r.includes("limit=500"))).toBe(true);
    // Batches respect --batch-size (500).
    expect(Math.max(...receiver.batches.map((b) => b.events.length))).toBeLessThanOrEqual(500);
  });

  it("stops promptly even when the API server accepts connections and never answers", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      await writeKubeconfig(path.join(dir, "silent"), `http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const running = start({ kube: { kind: "kubeconfig", path: path.join(dir, "silent") } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const began = Date.now();
      expect(await running.stop(1_000)).toBe(0);
      inventory = undefined;
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(receiver.batches).toEqual([]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("discards a batch natwatch refuses for good (a revoked token) instead of retrying it forever", async () => {
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    const running = start({ token: "nwt_revoked" });
    await running.synced;
    await expect.poll(() => logs.filter((l) => l.msg === "post rejected; batch discarded").length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logs.filter((l) => l.msg === "post rejected; batch discarded")).toEqual([{ level: "error", msg: "post rejected; batch discarded" }]);
    expect(await running.stop(1_000)).toBe(0);
    inventory = undefined;
  });

  it("posts what is buffered when stopped", async () => {
    await start({ batchIntervalMs: 60_000 }).synced;
    plane.apply("Service", serviceObject({ name: "svc-nodeport", clusterIP: "10.200.1.50", port: 80, type: "NodePort" }));
    await expect.poll(() => logs.some((l) => l.msg === "listed")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.batches).toEqual([]);
    expect(await inventory!.stop(2_000)).toBe(0);
    inventory = undefined;
    expect(described(receiver.batches)).toEqual(["ADDED Service default/svc-nodeport@2"]);
  });
});
