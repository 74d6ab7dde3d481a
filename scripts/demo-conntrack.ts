/**
 * The conntrack half of the demo captures: what `conntrack -S`, `conntrack -C` and the agent's flow aggregate would
 * show on the seed's nodes, so the node views have a table fill, per-CPU statistics and live flows to draw.
 *
 * - Every node resolves names through kube-dns: a few UDP flows to the two CoreDNS pods, always.
 * - net-pod on the control plane curls svc-clusterip 100 times between 45 and 30 minutes before the end (the
 *   seed's 35/33/32): the TIME_WAIT entries fill its table, and the DNS lookups racing on two CPUs make the classic
 *   UDP `insert_failed` of kind clusters climb; afterwards it keeps two connections per webpod open.
 * Counters are since boot and only grow; the figures are deterministic, so a test can derive expectations from them.
 */
import type { ConntrackSample, FlowAggregate } from "../lib/contracts/capture";

/** nf_conntrack_max of a small kind node. */
export const DEMO_CONNTRACK_MAX = 131_072;

const CLUSTER_IP = "10.200.1.201:9000";
const DNS_IP = "10.200.1.10:53";
const DNS_PODS = ["10.10.0.2:53", "10.10.0.3:53"];
const CURL_SHARES: readonly [string, number][] = [["10.10.1.2:80", 35], ["10.10.2.2:80", 33], ["10.10.3.3:80", 32]];
const WEBPODS_AFTER_RESTART = ["10.10.1.2:80", "10.10.2.5:80", "10.10.3.3:80"];

/** The sample node `nodeIndex` (its place in SEED_NODES) reports `minutesBeforeEnd` minutes before the story's end. */
export function demoConntrack(nodeIndex: number, minutesBeforeEnd: number): ConntrackSample {
  const controlPlane = nodeIndex === 0;
  const elapsed = Math.max(0, Math.round(60 - minutesBeforeEnd)); // whole minutes since the story began
  const curling = controlPlane && minutesBeforeEnd <= 45 && minutesBeforeEnd > 30;
  const curledBefore = controlPlane && minutesBeforeEnd <= 30;
  const flows: FlowAggregate[] = DNS_PODS.map((endpoint, i) => ({ protocol: "udp", destination: DNS_IP, endpoint, state: "", count: 2 + ((nodeIndex + i) % 3) }));
  if (curling) {
    for (const [endpoint, total] of CURL_SHARES) flows.push({ protocol: "tcp", destination: CLUSTER_IP, endpoint, state: "TIME_WAIT", count: total });
  }
  if (curledBefore) {
    for (const endpoint of WEBPODS_AFTER_RESTART) flows.push({ protocol: "tcp", destination: CLUSTER_IP, endpoint, state: "ESTABLISHED", count: 2 });
  }
  const flowEntries = flows.reduce((sum, f) => sum + f.count, 0);
  // Background entries (kubelet, the API server's watches) plus the flows above; a little wave so the chart moves.
  const count = 180 + nodeIndex * 35 + Math.round(12 * Math.sin(elapsed / 4)) + flowEntries + (controlPlane ? 220 : 0);
  const insertFailed = controlPlane ? Math.min(15, Math.max(0, 45 - minutesBeforeEnd)) * 3 : 0;
  const cpus = [0, 1].map((cpu) => {
    const share = cpu === 0 ? 0.55 : 0.45;
    const inserts = Math.round((400 + nodeIndex * 50 + elapsed * (20 + nodeIndex * 4) + (controlPlane ? Math.min(15, Math.max(0, 45 - minutesBeforeEnd)) * 8 : 0)) * share);
    return {
      cpu,
      found: inserts * 3,
      invalid: Math.round(elapsed / 6) + cpu,
      insert: inserts,
      insert_failed: Math.round(insertFailed * share),
      drop: Math.round(insertFailed * share / 3),
      early_drop: 0,
      error: 0,
      search_restart: elapsed + cpu * 3,
    };
  });
  return { count, max: DEMO_CONNTRACK_MAX, cpus, flows };
}
