import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CoreV1Api, DiscoveryV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "./control-plane";
import { writeKubeconfig } from "./kubeconfig";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "./sample-objects";
import { applyStudyCluster } from "./study-cluster";

interface WatchLine {
  type: string;
  object: { kind?: string; code?: number; reason?: string; metadata?: { name?: string; resourceVersion?: string } };
}

/** Reads a watch stream with plain fetch until it ends or `count` events arrived. */
async function readWatch(url: string, count: number): Promise<WatchLine[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const lines: WatchLine[] = [];
  while (lines.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = text.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(text.slice(0, newline)) as WatchLine);
      text = text.slice(newline + 1);
    }
  }
  await reader.cancel().catch(() => undefined);
  return lines;
}

describe("lab control plane", () => {
  let plane: ControlPlane;
  let dir: string;
  let kc: KubeConfig;

  beforeEach(async () => {
    plane = await startControlPlane({ token: "lab-token" });
    dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-cp-"));
    await writeKubeconfig(path.join(dir, "kubeconfig"), plane.url, { token: "lab-token" });
    kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, "kubeconfig"));
  });
  afterEach(async () => {
    await plane.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists pods through client-node's CoreV1Api with the real list shape", async () => {
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    plane.apply("Pod", podObject({ namespace: "kube-system", name: "coredns-1", node: "myk8s-control-plane", ip: "10.10.0.3" }));
    const api = kc.makeApiClient(CoreV1Api);

    const all = await api.listPodForAllNamespaces();
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(["default/web-1", "kube-system/coredns-1"]);
    expect(all.items[0]?.status?.podIPs?.[0]?.ip).toBe("10.10.1.2");
    expect(all.items[0]?.spec?.nodeName).toBe("myk8s-worker");
    expect(all.metadata?.resourceVersion).toBe(String(plane.resourceVersion()));

    const kubeSystem = await api.listNamespacedPod({ namespace: "kube-system" });
    expect(kubeSystem.items.map((p) => p.metadata?.name)).toEqual(["coredns-1"]);
  });

  it("lists services, nodes and endpoint slices on their own API paths", async () => {
    plane.apply("Service", serviceObject({ name: "svc-clusterip", clusterIP: "10.200.1.176", port: 9000 }));
    plane.apply("Node", nodeObject({ name: "myk8s-worker", ip: "172.18.0.3" }));
    plane.apply("EndpointSlice", endpointSliceObject({ name: "svc-clusterip-abcde", service: "svc-clusterip", endpoints: [{ ip: "10.10.1.2", node: "myk8s-worker" }] }));
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);

    expect((await core.listServiceForAllNamespaces()).items[0]?.spec?.clusterIP).toBe("10.200.1.176");
    expect((await core.listNode()).items[0]?.status?.addresses?.[0]).toEqual({ type: "InternalIP", address: "172.18.0.3" });
    const slices = await discovery.listEndpointSliceForAllNamespaces();
    expect(slices.items[0]?.endpoints[0]?.addresses).toEqual(["10.10.1.2"]);
    expect(slices.items[0]?.addressType).toBe("IPv4");
  });

  it("pages a list with limit and continue, every page at the first page's resourceVersion", async () => {
    for (let i = 0; i < 5; i++) plane.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 2}` }));
    const api = kc.makeApiClient(CoreV1Api);
    const first = await api.listPodForAllNamespaces({ limit: 2 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(["web-0", "web-1"]);
    const listedAt = first.metadata?.resourceVersion;
    plane.apply("Pod", podObject({ name: "web-9", node: "myk8s-worker", ip: "10.10.1.99" }));
    const second = await api.listPodForAllNamespaces({ limit: 2, _continue: first.metadata?._continue });
    const third = await api.listPodForAllNamespaces({ limit: 2, _continue: second.metadata?._continue });
    expect([second, third].map((page) => page.items.map((p) => p.metadata?.name))).toEqual([["web-2", "web-3"], ["web-4", "web-9"]]);
    expect([second, third].map((page) => page.metadata?.resourceVersion)).toEqual([listedAt, listedAt]);
    expect(second.metadata?._continue).toBeTruthy();
    // The last page has no continue token.
    expect(third.metadata?._continue).toBeUndefined();
  });

  it("serves the study note's cluster: webpods behind svc-clusterip on three workers", async () => {
    applyStudyCluster(plane);
    const core = kc.makeApiClient(CoreV1Api);
    const webpods = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=webpod" });
    expect(webpods.items.map((p) => `${p.metadata?.name} ${p.spec?.nodeName} ${p.status?.podIP}`)).toEqual([
      "webpod1 myk8s-worker 10.10.1.2",
      "webpod2 myk8s-worker2 10.10.2.2",
      "webpod3 myk8s-worker3 10.10.3.3",
    ]);
    const slice = (await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: "default" })).items[0];
    expect(slice?.endpoints.map((e) => e.addresses[0])).toEqual(["10.10.1.2", "10.10.2.2", "10.10.3.3"]);
    expect((await core.listNode()).items.map((n) => n.metadata?.name)).toEqual(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  });

  it("refuses requests without the bearer token and unknown paths", async () => {
    expect((await fetch(`${plane.url}/api/v1/pods`)).status).toBe(401);
    const unknown = await fetch(`${plane.url}/api/v1/configmaps`, { headers: { authorization: "Bearer lab-token" } });
    expect(unknown.status).toBe(404);
  });

  it("streams ADDED, MODIFIED and DELETED to client-node's Watch after the requested resourceVersion", async () => {
    plane.apply("Pod", podObject({ name: "before", node: "myk8s-worker", ip: "10.10.1.9" }));
    const from = plane.resourceVersion();
    const seen: string[] = [];
    let ended: (value: unknown) => void = () => undefined;
    const done = new Promise((resolve) => (ended = resolve));
    const controller = await new Watch(kc).watch(
      "/api/v1/pods",
      { resourceVersion: String(from), allowWatchBookmarks: true },
      (type, object: { metadata: { name: string; resourceVersion: string } }) => seen.push(`${type} ${object.metadata.name} ${object.metadata.resourceVersion}`),
      ended,
    );
    await expect.poll(() => plane.openWatches()).toBe(1);
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2", phase: "Pending" }));
    plane.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
    plane.apply("Service", serviceObject({ name: "not-a-pod", clusterIP: "10.200.1.1", port: 80 }));
    plane.remove("Pod", "default", "web-1");
    plane.sendBookmarks();
    await expect.poll(() => seen.length).toBe(4);
    expect(seen).toEqual([
      `ADDED web-1 ${from + 1}`,
      `MODIFIED web-1 ${from + 2}`,
      `DELETED web-1 ${from + 4}`,
      `BOOKMARK undefined ${from + 4}`,
    ]);
    expect(plane.requests().at(-1)).toContain("/api/v1/pods?watch=true");

    expect(plane.dropWatches()).toBe(1);
    await done;
    controller.abort();
  });

  it("replays the current state as ADDED when a watch starts without a resourceVersion", async () => {
    plane.apply("Node", nodeObject({ name: "myk8s-control-plane", ip: "172.18.0.2" }));
    plane.apply("Node", nodeObject({ name: "myk8s-worker", ip: "172.18.0.3" }));
    const response = await fetch(`${plane.url}/api/v1/nodes?watch=true`, { headers: { authorization: "Bearer lab-token" } });
    const reader = response.body!.getReader();
    let text = "";
    while (text.split("\n").length < 3) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text.split("\n").slice(0, 2).map((l) => (JSON.parse(l) as WatchLine).object.metadata?.name)).toEqual(["myk8s-control-plane", "myk8s-worker"]);
  });

  it("answers a compacted resourceVersion with a 410 Expired ERROR event, as kube-apiserver does", async () => {
    const open = await startControlPlane();
    try {
      open.apply("Pod", podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2" }));
      const old = open.resourceVersion() - 1;
      // Still inside the window: the ADDED is replayed.
      expect((await readWatch(`${open.url}/api/v1/pods?watch=true&resourceVersion=${old}`, 1))[0]?.type).toBe("ADDED");
      open.compact();
      const lines = await readWatch(`${open.url}/api/v1/pods?watch=true&resourceVersion=${old}`, 5);
      expect(lines).toEqual([{ type: "ERROR", object: expect.objectContaining({ kind: "Status", code: 410, reason: "Expired" }) }]);
      // The current version is still valid after compaction.
      open.apply("Pod", podObject({ name: "web-2", node: "myk8s-worker", ip: "10.10.1.3" }));
      const fresh = await readWatch(`${open.url}/api/v1/pods?watch=true&resourceVersion=${open.resourceVersion() - 1}`, 1);
      expect(fresh[0]?.object.metadata?.name).toBe("web-2");
    } finally {
      await open.stop();
    }
  });

  it("keeps only historyLimit changes, so a watch from before the window expires", async () => {
    const small = await startControlPlane({ historyLimit: 2 });
    try {
      const start = small.resourceVersion();
      for (let i = 0; i < 4; i++) small.apply("Pod", podObject({ name: `web-${i}`, node: "myk8s-worker", ip: `10.10.1.${i + 2}` }));
      expect((await readWatch(`${small.url}/api/v1/pods?watch=true&resourceVersion=${start}`, 1))[0]?.type).toBe("ERROR");
      const recent = await readWatch(`${small.url}/api/v1/pods?watch=true&resourceVersion=${small.resourceVersion() - 2}`, 2);
      expect(recent.map((l) => l.object.metadata?.name)).toEqual(["web-2", "web-3"]);
    } finally {
      await small.stop();
    }
  });
});
