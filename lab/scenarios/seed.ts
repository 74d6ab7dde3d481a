/**
 * The source document's study, step by step, in the lab cluster (every step a point on natwatch's timeline):
 *
 * 1. deploy webpod1–3 (one per worker), net-pod (control plane) and svc-clusterip (ClusterIP 9000 → 80);
 * 2. curl the ClusterIP 100 times from net-pod and count the replies per Hostname (the seed saw 35/33/32);
 * 3. delete and recreate webpod2: a new address, so every node replaces its KUBE-SEP chain — myk8s-worker3's
 *    kube-proxy a few seconds after the others;
 * 4. make the service a NodePort (30007): KUBE-NODEPORTS → KUBE-EXT-… appears; curl a node's address on 30007;
 * 5. scale to five endpoints, back to three; then stop myk8s-worker3's kube-proxy and delete webpod1, so that
 *    node keeps sending connections to an endpoint that is gone — the drift natwatch must show.
 *
 * Every step ends once each node's kube-proxy has applied it and each node agent's capture taken after that has
 * reached natwatch (read back through the read API).
 */
import { endpointChainName } from "../../lib/kube-proxy/chain-names";
import { STUDY_WEBPODS } from "../control-plane/study-cluster";
import type { CurlResult, LabCluster } from "../cluster/cluster";
import { CLUSTER_NAME, labNode } from "../cluster/topology";
import type { ServiceInput } from "../cluster/lab-objects";
import { waitForCaptures } from "./read-api";
import type { CurlRecord, PodRecord, ScenarioResult, StepRecord } from "./scenario-result";

export interface SeedScenarioOptions {
  /** natwatch's base URL (read API) — the app itself, not a recording proxy. */
  server: string;
  /** Requests of step 2 (the seed's 100). */
  clusterIpRequests?: number;
  nodePortRequests?: number;
  laggingNode?: string;
  lagMs?: number;
  stuckNode?: string;
  /** Called after each step (tests look at the kernel there). */
  afterStep?: (step: StepRecord, cluster: LabCluster) => Promise<void>;
  log?: (line: string) => void;
  /** Longest wait for a step's captures (default 60 s). */
  captureTimeoutMs?: number;
}

const SERVICE_PORT = "default/svc-clusterip:svc-webport";
const CLUSTER_IP = "10.200.1.201";
const NODE_PORT = 30007;

function webService(type: "ClusterIP" | "NodePort"): ServiceInput {
  return {
    namespace: "default",
    name: "svc-clusterip",
    type,
    clusterIP: CLUSTER_IP,
    selector: { app: "webpod" },
    ports: [{ name: "svc-webport", protocol: "TCP", port: 9000, targetPort: 80, ...(type === "NodePort" ? { nodePort: NODE_PORT } : {}) }],
  };
}

const webpod = (name: string, node: string, ip?: string) => ({ name, node, labels: { app: "webpod" }, ports: [{ containerPort: 80, protocol: "TCP" as const }], ...(ip ? { ip } : {}) });

/** Prints replies per Hostname like `… | grep Hostname | sort | uniq -c | sort -nr`. */
export function formatHostnameCounts(hostnames: Record<string, number>): string {
  return Object.entries(hostnames)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([name, count]) => `${String(count).padStart(7)} Hostname: ${name}`)
    .join("\n");
}

export async function runSeedScenario(cluster: LabCluster, options: SeedScenarioOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => undefined);
  const lagging = options.laggingNode ?? "myk8s-worker3";
  const lagMs = options.lagMs ?? 4_000;
  const stuck = options.stuckNode ?? "myk8s-worker3";
  const started = Date.now();
  const steps: StepRecord[] = [];

  const podRecords = (): PodRecord[] =>
    cluster
      .pods()
      .filter((p) => p.labels.app === "webpod" || p.name === "net-pod")
      .map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, ip: p.ip }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));

  const curlRecord = (from: string, result: CurlResult): CurlRecord => {
    const ipOf = new Map(cluster.pods().map((p) => [p.name, p.ip]));
    return {
      from,
      url: result.url,
      requests: result.count,
      hostnames: result.hostnames,
      endpoints: Object.fromEntries(Object.entries(result.hostnames).map(([name, count]) => [`${ipOf.get(name) ?? name}:80`, count])),
      errors: result.errors,
    };
  };

  /**
   * Runs one step: `change` alters the cluster; then the step waits for every kube-proxy that is not stopped, and
   * for a capture of every node taken after its kube-proxy applied the step (or after `capturesAfter`).
   */
  async function step(name: string, title: string, change: () => Promise<Partial<Pick<StepRecord, "curl" | "details">> | void>): Promise<StepRecord> {
    const startedAt = Date.now();
    log(`── ${name}: ${title}`);
    const before = new Map(cluster.proxies().map((p) => [p.node.name, p.applied().syncs]));
    const extra = (await change()) ?? {};
    await cluster.settle();
    const afterChange = Date.now();
    const appliedAt: Record<string, string> = {};
    const wanted = new Map<string, number>();
    for (const proxy of cluster.proxies()) {
      const applied = proxy.applied();
      const synced = applied.syncs > (before.get(proxy.node.name) ?? 0);
      if (synced) appliedAt[proxy.node.name] = new Date(applied.at).toISOString();
      // A capture started after the node's last sync shows it; after the change (or the traffic) for the others.
      wanted.set(proxy.node.name, Math.max(startedAt, synced ? applied.at : 0, extra.curl ? afterChange : 0) + 1);
    }
    const capturedAt = await waitForCaptures(options.server, wanted, options.captureTimeoutMs ?? 60_000);
    const record: StepRecord = { name, title, startedAt: new Date(startedAt).toISOString(), endedAt: new Date().toISOString(), appliedAt, capturedAt, pods: podRecords(), ...extra };
    steps.push(record);
    log(`   done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    await options.afterStep?.(record, cluster);
    return record;
  }

  await step("deploy", "Deploy webpod1-3, net-pod and svc-clusterip (ClusterIP 10.200.1.201:9000 → 80)", async () => {
    await cluster.createPod({ name: "net-pod", node: "myk8s-control-plane", image: "nicolaka/netshoot" });
    await Promise.all(STUDY_WEBPODS.map((p) => cluster.createPod(webpod(p.name, p.node, p.ip))));
    cluster.applyService(webService("ClusterIP"));
  });

  const requests = options.clusterIpRequests ?? 100;
  await step("curl-clusterip", `curl ${CLUSTER_IP}:9000 ${requests} times from net-pod`, async () => {
    const result = await cluster.curl("net-pod", `http://${CLUSTER_IP}:9000/`, requests);
    log(formatHostnameCounts(result.hostnames));
    return { curl: curlRecord("net-pod", result) };
  });

  await step("restart-webpod2", `Delete and recreate webpod2; ${lagging}'s kube-proxy ${lagMs / 1000} s late`, async () => {
    const old = cluster.pod("webpod2")!;
    cluster.proxy(lagging).setSyncDelay(lagMs);
    await cluster.deletePod("webpod2");
    const created = await cluster.createPod(webpod("webpod2", old.node));
    await cluster.settle(lagMs + 30_000);
    cluster.proxy(lagging).setSyncDelay(0);
    return {
      details: {
        oldIp: old.ip,
        newIp: created.ip,
        oldSepChain: endpointChainName(SERVICE_PORT, "tcp", `${old.ip}:80`),
        newSepChain: endpointChainName(SERVICE_PORT, "tcp", `${created.ip}:80`),
        laggingNode: lagging,
        lagMs,
      },
    };
  });

  const nodePortRequests = options.nodePortRequests ?? 20;
  const target = labNode("myk8s-worker");
  await step("nodeport", `Make svc-clusterip a NodePort (${NODE_PORT}); curl ${target.ip}:${NODE_PORT}`, async () => {
    cluster.applyService(webService("NodePort"));
    await cluster.settle();
    // From the bridge's namespace — the docker host's side of kind's network, outside the cluster.
    const result = await cluster.curl(null, `http://${target.ip}:${NODE_PORT}/`, nodePortRequests);
    log(formatHostnameCounts(result.hostnames));
    return { curl: curlRecord("kind bridge (172.18.0.1)", result), details: { nodePort: NODE_PORT, node: target.name, nodeIP: target.ip } };
  });

  await step("scale-to-five", "Scale the web pods to five (webpod4 on myk8s-worker, webpod5 on myk8s-worker2)", async () => {
    await cluster.createPod(webpod("webpod4", "myk8s-worker"));
    await cluster.createPod(webpod("webpod5", "myk8s-worker2"));
  });

  await step("scale-to-three", "Scale back to three (delete webpod4 and webpod5)", async () => {
    await cluster.deletePod("webpod4");
    await cluster.deletePod("webpod5");
  });

  await step("stuck-kube-proxy", `Stop ${stuck}'s kube-proxy, then delete webpod1: ${stuck} keeps its endpoint`, async () => {
    const gone = cluster.pod("webpod1")!;
    cluster.proxy(stuck).stop();
    await cluster.deletePod("webpod1");
    return { details: { stuckNode: stuck, removedPod: gone.name, removedEndpoint: `${gone.ip}:80`, removedSepChain: endpointChainName(SERVICE_PORT, "tcp", `${gone.ip}:80`) } };
  });

  const ended = Date.now();
  return {
    scenario: "seed",
    cluster: CLUSTER_NAME,
    server: options.server,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    nodes: cluster.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip, podCIDR: n.podCIDR })),
    service: { servicePort: SERVICE_PORT, namespace: "default", name: "svc-clusterip", clusterIP: CLUSTER_IP, port: 9000, targetPort: 80, nodePort: NODE_PORT },
    laggingNode: { name: lagging, lagMs, step: "restart-webpod2" },
    stuckNode: { name: stuck, step: "stuck-kube-proxy" },
    steps,
  };
}
