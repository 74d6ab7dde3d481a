/**
 * The source document's investigation as a history natwatch can show without a kernel: the seed's kind cluster
 * (a control plane and three workers), its system services, then svc-clusterip with three whoami pods, the 100
 * curls from net-pod, webpod2 restarting (one node late), the switch to NodePort 30007, a scale to five and back,
 * and finally a node whose kube-proxy stopped following.
 *
 * Every node's rules are rendered by the lab's kube-proxy renderer (what kube-proxy v1.32 writes in iptables mode),
 * so chain names, comments and probability ladders are kube-proxy's own. Counters are those a node would show after
 * the seed's 100 requests from net-pod (35/33/32): the nat table counts a connection on the node that sent it, so
 * only the control plane — where net-pod runs — counts them. The pod events are those kube-inventory would post.
 */
import { renderNatRules } from "../kube-proxy/render-iptables";
import type { EndpointSpec, NodeConfig, ServiceSpec } from "../kube-proxy/types";

/** The seed's kind nodes: name, address on the kind bridge, pod subnet. */
export const SEED_NODES = [
  { name: "myk8s-control-plane", role: "control-plane", ip: "172.18.0.2", podSubnet: "10.10.0" },
  { name: "myk8s-worker", role: "worker", ip: "172.18.0.3", podSubnet: "10.10.1" },
  { name: "myk8s-worker2", role: "worker", ip: "172.18.0.4", podSubnet: "10.10.2" },
  { name: "myk8s-worker3", role: "worker", ip: "172.18.0.5", podSubnet: "10.10.3" },
] as const;

export type SeedNodeName = (typeof SEED_NODES)[number]["name"];

/** One node's capture at one moment: the iptables-save text (with counters where traffic was counted). */
export interface StoryCapture {
  node: SeedNodeName;
  role: "control-plane" | "worker";
  at: Date;
  iptablesSave: string;
}

/** A pod event as kube-inventory posts it (Kubernetes JSON, trimmed). */
export interface StoryPodEvent {
  type: "ADDED" | "DELETED";
  at: Date;
  pod: { name: string; namespace: string; ip: string; node: SeedNodeName; resourceVersion: string };
}

export interface SeedStory {
  captures: StoryCapture[];
  podEvents: StoryPodEvent[];
}

const ep = (ip: string, port: number, nodeName: string): EndpointSpec => ({ ip, port, ready: true, nodeName });

function systemServices(): ServiceSpec[] {
  const dns = [ep("10.10.0.2", 53, "myk8s-control-plane"), ep("10.10.0.3", 53, "myk8s-control-plane")];
  return [
    {
      namespace: "default",
      name: "kubernetes",
      type: "ClusterIP",
      clusterIP: "10.200.1.1",
      ports: [{ name: "https", protocol: "TCP", port: 443, endpoints: [ep("172.18.0.2", 6443, "myk8s-control-plane")] }],
    },
    {
      namespace: "kube-system",
      name: "kube-dns",
      type: "ClusterIP",
      clusterIP: "10.200.1.10",
      ports: [
        { name: "dns", protocol: "UDP", port: 53, endpoints: dns },
        { name: "dns-tcp", protocol: "TCP", port: 53, endpoints: dns },
        { name: "metrics", protocol: "TCP", port: 9153, endpoints: dns.map((e) => ({ ...e, port: 9153 })) },
      ],
    },
    {
      namespace: "kube-system",
      name: "kube-ops-view",
      type: "NodePort",
      clusterIP: "10.200.1.253",
      ports: [{ name: "http", protocol: "TCP", port: 8080, nodePort: 30000, endpoints: [ep("10.10.0.5", 8080, "myk8s-control-plane")] }],
    },
  ];
}

/** The seed's `default/svc-clusterip` (port `svc-webport` 9000 → 80) with the given webpod addresses, as a
 * ClusterIP or, with a node port, as the NodePort it later becomes. Pods run on the worker whose subnet holds their IP. */
export function seedWebService(webpods: readonly string[], nodePort?: number): ServiceSpec {
  return {
    namespace: "default",
    name: "svc-clusterip",
    type: nodePort ? "NodePort" : "ClusterIP",
    clusterIP: "10.200.1.201",
    ports: [
      {
        name: "svc-webport",
        protocol: "TCP",
        port: 9000,
        targetPort: 80,
        ...(nodePort ? { nodePort } : {}),
        endpoints: webpods.map((ip) => ep(ip, 80, nodeOfPodIp(ip))),
      },
    ],
  };
}

function nodeOfPodIp(ip: string): string {
  return SEED_NODES.find((n) => ip.startsWith(`${n.podSubnet}.`))?.name ?? "myk8s-worker";
}

function nodeConfig(node: (typeof SEED_NODES)[number]): NodeConfig {
  return { nodeName: node.name, nodeIPs: [node.ip], podCIDR: "10.10.0.0/16", masqueradeRandomFully: true, kubeProxyVersion: "v1.32" };
}

/**
 * `iptables-save -c -t nat` of a node for a set of services. The renderer writes restore input; the counters
 * `[packets:bytes]` of the SVC→SEP rules named in `connections` (by endpoint address) are put in front of those
 * rules, as `iptables-save -c` prints them.
 */
function captureText(services: ServiceSpec[], node: (typeof SEED_NODES)[number], connections: ReadonlyMap<string, number>): string {
  const text = renderNatRules(services, nodeConfig(node), { tables: ["nat"], includeJumpRules: true });
  return text
    .split("\n")
    .map((line) => {
      if (!line.startsWith("-A ")) return line;
      const toEndpoint = /^-A KUBE-SVC-\S+ .*--comment "?default\/svc-clusterip:svc-webport -> ([\d.]+:\d+)"?/.exec(line);
      const count = toEndpoint ? (connections.get(toEndpoint[1]!) ?? 0) : 0;
      // A curl exchange is about 6 packets of ~70 bytes in the first direction; only the first packet of a
      // connection traverses the nat table, so the rule's packet counter is the connection count.
      return `[${count}:${count * 60}] ${line}`;
    })
    .join("\n");
}

const MINUTE = 60_000;

/**
 * The story, ending at `end`, with a capture of every node every `intervalMinutes` (unchanged captures only extend
 * a snapshot) and the changes at fixed points of the last hour.
 */
export function seedStory(end: Date, intervalMinutes = 1): SeedStory {
  const t = (minutesBeforeEnd: number) => new Date(end.getTime() - minutesBeforeEnd * MINUTE);
  const webpods = ["10.10.1.2", "10.10.2.2", "10.10.3.3"];
  const restarted = ["10.10.1.2", "10.10.2.5", "10.10.3.3"];
  const scaled = [...restarted, "10.10.1.3", "10.10.2.6"];

  /** Services each node's kube-proxy has applied at a moment; a lagging or stuck node sees an older state. */
  const desired = (minutesBeforeEnd: number, node: SeedNodeName): ServiceSpec[] => {
    const m = minutesBeforeEnd;
    // myk8s-worker3 applies webpod2's restart 4 s late, and its kube-proxy stops syncing 8 minutes before the end.
    const lag = node === "myk8s-worker3" ? 4 / 60 : 0;
    const seen = node === "myk8s-worker3" && m <= 8 ? 8.01 : m + lag;
    const services = systemServices();
    if (seen > 50) return services;
    if (seen > 30) return [...services, seedWebService(webpods)];
    if (seen > 20) return [...services, seedWebService(restarted)];
    if (seen > 10) return [...services, seedWebService(restarted, 30007)];
    if (seen > 8) return [...services, seedWebService(scaled, 30007)];
    return [...services, seedWebService(restarted, 30007)];
  };

  /** net-pod on the control plane curls the ClusterIP 100 times 45 minutes before the end (the seed's 35/33/32). */
  const connections = (minutesBeforeEnd: number, node: SeedNodeName): Map<string, number> => {
    if (node !== "myk8s-control-plane" || minutesBeforeEnd > 45 || minutesBeforeEnd <= 30) return new Map();
    return new Map([
      ["10.10.1.2:80", 35],
      ["10.10.2.2:80", 33],
      ["10.10.3.3:80", 32],
    ]);
  };

  const captures: StoryCapture[] = [];
  for (let m = 60; m >= 0; m -= intervalMinutes) {
    for (const node of SEED_NODES) {
      captures.push({ node: node.name, role: node.role, at: t(m), iptablesSave: captureText(desired(m, node.name), node, connections(m, node.name)) });
    }
  }
  // The restart: the moment worker3 catches up (4 s after the others) is a capture of its own.
  const worker3 = SEED_NODES[3];
  captures.push({ node: worker3.name, role: worker3.role, at: new Date(t(30).getTime() + 4_000), iptablesSave: captureText(desired(30 - 4.5 / 60, worker3.name), worker3, new Map()) });
  captures.sort((a, b) => a.at.getTime() - b.at.getTime());

  const pod = (name: string, ip: string, resourceVersion: string) => ({ name, namespace: "default", ip, node: nodeOfPodIp(ip) as SeedNodeName, resourceVersion });
  const podEvents: StoryPodEvent[] = [
    ...webpods.map((ip, i) => ({ type: "ADDED" as const, at: new Date(t(50).getTime() - 5_000), pod: pod(`webpod${i + 1}`, ip, String(1000 + i)) })),
    { type: "DELETED", at: new Date(t(30).getTime() - 3_000), pod: pod("webpod2", "10.10.2.2", "1100") },
    { type: "ADDED", at: new Date(t(30).getTime() - 2_000), pod: pod("webpod2", "10.10.2.5", "1101") },
    { type: "ADDED", at: new Date(t(10).getTime() - 2_000), pod: pod("webpod4", "10.10.1.3", "1200") },
    { type: "ADDED", at: new Date(t(10).getTime() - 2_000), pod: pod("webpod5", "10.10.2.6", "1201") },
    { type: "DELETED", at: new Date(t(8).getTime() - 2_000), pod: pod("webpod4", "10.10.1.3", "1300") },
    { type: "DELETED", at: new Date(t(8).getTime() - 2_000), pod: pod("webpod5", "10.10.2.6", "1301") },
  ];
  return { captures, podEvents };
}
