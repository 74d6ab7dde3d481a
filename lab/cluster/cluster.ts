/**
 * The lab cluster: the seed's kind cluster built from network namespaces (bridge, four nodes, a namespace per pod),
 * the control plane with its kubeconfig, an endpoint-slice controller, and kube-proxy on every node — all torn down
 * by `stop()`, which also runs when start-up fails half-way.
 *
 * The cluster's API is the handful of things the seed's study does with kubectl: create and delete pods, apply
 * services, curl from a pod. Every change goes to the control plane, then the controller updates EndpointSlices,
 * then every node's kube-proxy is asked to sync (after its own delay).
 */
import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type ControlPlane } from "../control-plane/control-plane";
import { writeKubeconfig } from "../control-plane/kubeconfig";
import type { KubeObject } from "../control-plane/object-store";
import { nodeObject } from "../control-plane/sample-objects";
import { execInNetns, type ExecResult } from "../netns/netns";
import { reconcileEndpointSlices } from "./endpoints-controller";
import { labNetnsName, workDirOf } from "./lab-names";
import { podObject, serviceObject, type ContainerPort, type ServiceInput } from "./lab-objects";
import { createProcessTracker, type LabProcess, type ProcessTracker } from "./lab-processes";
import { removeLabNetns } from "./leftovers";
import { createBridge, createNode } from "./node-network";
import { createPodAddresses } from "./pod-addresses";
import { createPodNetwork } from "./pod-network";
import { startNodeProxy, type NodeProxy } from "./kube-proxy";
import { LAB_NODES, labNode, type LabNode } from "./topology";
import { installSystemWorkloads } from "./system-workloads";

const podsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../pods");

/** A pod the lab runs. */
export interface LabPod {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  netns: string;
  labels: Record<string, string>;
  server: LabProcess | null;
}

/** What to run: a whoami server on the given ports (none: an idle pod such as net-pod). */
export interface PodRequest {
  namespace?: string;
  name: string;
  node: string;
  labels?: Record<string, string>;
  image?: string;
  ports?: ContainerPort[];
  /** A fixed address (the seed's) instead of the next free one. */
  ip?: string;
}

/** Replies of a request loop (lab/pods/http-client.mjs). */
export interface CurlResult {
  url: string;
  count: number;
  hostnames: Record<string, number>;
  errors: Record<string, number>;
  first: string | null;
}

export interface LabCluster {
  owner: number;
  workDir: string;
  plane: ControlPlane;
  kubeconfig: string;
  bridgeNs: string;
  nodes: readonly LabNode[];
  processes: ProcessTracker;
  nodeNs(node: string): string;
  proxy(node: string): NodeProxy;
  proxies(): NodeProxy[];
  pods(): LabPod[];
  pod(name: string, namespace?: string): LabPod | undefined;
  createPod(request: PodRequest): Promise<LabPod>;
  deletePod(name: string, namespace?: string): Promise<void>;
  applyService(service: ServiceInput): void;
  /** Writes an object the controller does not manage (the `kubernetes` service's slice). */
  applyObject(kind: "EndpointSlice", object: KubeObject): void;
  /** Waits until every kube-proxy that is not stopped has applied the current API state; returns that revision. */
  settle(timeoutMs?: number): Promise<number>;
  /** `count` requests from pod `from` (or from the bridge, the "docker host", with `from: null`) to `url`. */
  curl(from: string | null, url: string, count: number): Promise<CurlResult>;
  execInNode(node: string, cmd: string, args: string[]): Promise<ExecResult>;
  stop(): Promise<void>;
}

export interface LabClusterOptions {
  /** Lab process owning the namespaces (default this process). */
  owner?: number;
  log?: (line: string) => void;
}

export async function startLabCluster(options: LabClusterOptions = {}): Promise<LabCluster> {
  const owner = options.owner ?? process.pid;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workDir = workDirOf(owner);
  await mkdir(workDir, { recursive: true });
  const processes = await createProcessTracker(owner);
  const namespaces: string[] = [];
  const proxies = new Map<string, NodeProxy>();
  const pods = new Map<string, LabPod>();
  const addresses = createPodAddresses();
  let podCounter = 0;
  let plane: ControlPlane | null = null;
  let stopped = false;

  const bridgeNs = labNetnsName(owner, "kind");
  const nodeNs = (name: string) => labNetnsName(owner, name);

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    for (const proxy of proxies.values()) proxy.close();
    await processes.stopAll();
    // Pods, then nodes, then the bridge: each namespace's processes are killed before it is deleted.
    for (const ns of [...namespaces].reverse()) {
      await removeLabNetns(ns).catch((error: Error) => log(`cannot remove ${ns}: ${error.message}`));
    }
    await plane?.stop();
    await rm(workDir, { recursive: true, force: true });
  }

  try {
    await createBridge(bridgeNs);
    namespaces.push(bridgeNs);
    for (const [index, node] of LAB_NODES.entries()) {
      namespaces.push(nodeNs(node.name));
      await createNode(nodeNs(node.name), node, bridgeNs, `n${index}`);
    }
    plane = await startControlPlane();
    const kubeconfig = path.join(workDir, "kubeconfig");
    await writeKubeconfig(kubeconfig, plane.url);
    for (const node of LAB_NODES) plane.apply("Node", nodeObject(node));
    for (const node of LAB_NODES) proxies.set(node.name, await startNodeProxy(plane, node, nodeNs(node.name), log));
    const api: ControlPlane = plane;

    const changed = () => {
      reconcileEndpointSlices(api);
      for (const proxy of proxies.values()) proxy.requestSync();
    };
    const key = (namespace: string, name: string) => `${namespace}/${name}`;

    async function createPod(request: PodRequest): Promise<LabPod> {
      const namespace = request.namespace ?? "default";
      if (pods.has(key(namespace, request.name))) throw new Error(`pod ${namespace}/${request.name} exists`);
      const node = labNode(request.node);
      const ip = addresses.allocate(node.podPrefix, request.ip);
      const netns = labNetnsName(owner, `pod-${request.name}-${podCounter++}`);
      const hostIf = `veth${createHash("sha256").update(netns).digest("hex").slice(0, 8)}`;
      namespaces.push(netns);
      await createPodNetwork(netns, ip, node, nodeNs(node.name), hostIf);
      const ports = request.ports ?? [];
      let server: LabProcess | null = null;
      if (ports.length > 0) {
        const tcp = ports.filter((p) => p.protocol === "TCP").map((p) => p.containerPort);
        const udp = ports.filter((p) => p.protocol === "UDP").map((p) => p.containerPort);
        server = await processes.start(`pod ${request.name}`, "ip", [
          "netns", "exec", netns, process.execPath, path.join(podsDir, "whoami.mjs"), "--name", request.name, "--tcp", tcp.join(","), "--udp", udp.join(","),
        ]);
        await server.waitForLine(/^listening /, 15_000);
      }
      const pod: LabPod = { namespace, name: request.name, node: node.name, ip, netns, labels: request.labels ?? {}, server };
      pods.set(key(namespace, request.name), pod);
      api.apply("Pod", podObject({ namespace, name: request.name, node: node.name, nodeIP: node.ip, ip, labels: pod.labels, image: request.image ?? "traefik/whoami", ports }));
      changed();
      return pod;
    }

    async function deletePod(name: string, namespace = "default"): Promise<void> {
      const pod = pods.get(key(namespace, name));
      if (!pod) throw new Error(`no pod ${namespace}/${name}`);
      // terminationGracePeriodSeconds: 0, as in the seed: the pod is gone from the API and the node at once.
      api.remove("Pod", namespace, name);
      pods.delete(key(namespace, name));
      changed();
      await pod.server?.stop();
      await removeLabNetns(pod.netns);
      namespaces.splice(namespaces.indexOf(pod.netns), 1);
      addresses.release(pod.ip);
    }

    async function curl(from: string | null, url: string, count: number): Promise<CurlResult> {
      const ns = from === null ? bridgeNs : pods.get(key("default", from))?.netns;
      if (!ns) throw new Error(`no pod ${from}`);
      const result = await execInNetns(ns, process.execPath, [path.join(podsDir, "http-client.mjs"), url, String(count)], { timeoutMs: 120_000 });
      if (result.code !== 0) throw new Error(`request loop from ${from ?? "the bridge"} failed (exit ${result.code}): ${result.stderr.trim()}`);
      return JSON.parse(result.stdout.trim()) as CurlResult;
    }

    const cluster: LabCluster = {
      owner,
      workDir,
      plane: api,
      kubeconfig,
      bridgeNs,
      nodes: LAB_NODES,
      processes,
      nodeNs,
      proxy(name) {
        const proxy = proxies.get(name);
        if (!proxy) throw new Error(`no node ${name}`);
        return proxy;
      },
      proxies: () => [...proxies.values()],
      pods: () => [...pods.values()],
      pod: (name, namespace = "default") => pods.get(key(namespace, name)),
      createPod,
      deletePod,
      applyService(service) {
        api.apply("Service", serviceObject(service));
        changed();
      },
      applyObject(kind, object) {
        api.apply(kind, object);
        changed();
      },
      async settle(timeoutMs = 30_000) {
        const revision = api.resourceVersion();
        await Promise.all([...proxies.values()].filter((p) => !p.stopped()).map((p) => p.waitForRevision(revision, timeoutMs)));
        return revision;
      },
      curl,
      execInNode: (node, cmd, args) => execInNetns(nodeNs(node), cmd, args),
      stop,
    };
    await installSystemWorkloads(cluster);
    await Promise.all([...proxies.values()].map((p) => p.syncNow()));
    await cluster.settle();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}
