/**
 * Cluster histories for the read API tests, built the way production builds them: real dumps (the seed's kind node,
 * and variants rendered by the lab's kube-proxy renderer) turned into uploads and stored by the capture use case,
 * kube events stored by theirs. Nothing here writes a table directly.
 *
 * Two histories:
 * - `recordSeedHistory`: the study note's cluster. Four nodes capture the seed's ClusterIP dump; the control plane,
 *   where the note's curl test ran, carries its counters (35 / 33 / 32) and, a minute later, another 100 curls.
 *   Ten minutes in, the service becomes a NodePort: three nodes follow at once, myk8s-worker3 only ten minutes later.
 * - `recordPodRestartHistory`: a pod of the seed's service restarts (10.10.2.2 → 10.10.2.5). The pod events arrive
 *   from kube-inventory; three nodes rewrite their rules a few seconds later, myk8s-worker3 three minutes later.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseConntrackStats } from "../../../lib/conntrack/parse-stats";
import type { ConntrackSample } from "../../../lib/contracts/capture";
import { kubeEventBatchSchema } from "../../../lib/contracts/kube-events";
import type { Db } from "../../../lib/server/db";
import { ingestKubeEvents } from "../../../lib/server/kube-events/ingest-kube-events";
import { at, buildCapture, ingestWithResend, renderedDump, repoRoot, seedDump, seedService } from "./ingest-fixtures";

export const SEED_NODES = ["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"] as const;
export const WEB_PORT = "default/svc-clusterip:svc-webport";

/** The dump with every counter at zero: what a node that served none of the note's curls prints. */
export function withoutTraffic(dump: string): string {
  return dump.replace(/\[\d+:\d+\]/g, "[0:0]");
}

/** The dump after the same traffic happened once more: every counter doubled. */
export function trafficRepeated(dump: string): string {
  return dump.replace(/\[(\d+):(\d+)\]/g, (_, p: string, b: string) => `[${Number(p) * 2}:${Number(b) * 2}]`);
}

/** The per-CPU statistics of the conntrack fixture (`conntrack -S`), each counter plus `extra`. */
function conntrackSample(count: number, extra: number): ConntrackSample {
  const parsed = parseConntrackStats(readFileSync(path.join(repoRoot, "tests/fixtures/conntrack/stats.txt"), "utf8"));
  if (!parsed.ok) throw new Error(`conntrack fixture does not parse: ${JSON.stringify(parsed.error)}`);
  const cpus = parsed.cpus.map((cpu) => ({
    cpu: cpu.cpu,
    found: (cpu.found ?? 0) + extra,
    invalid: cpu.invalid ?? 0,
    insert: (cpu.insert ?? 0) + extra,
    insert_failed: (cpu.insert_failed ?? 0) + (cpu.cpu === 0 ? extra : 0),
    drop: cpu.drop ?? 0,
    early_drop: cpu.early_drop ?? 0,
    error: cpu.error ?? 0,
    search_restart: cpu.search_restart ?? 0,
  }));
  return { count, max: 262_144, cpus, flows: [] };
}

/** One capture through the use case (409 → resend as an agent does); throws when it is not stored. */
export async function capture(
  db: Db,
  clusterId: number,
  node: string,
  dump: string,
  minutes: number,
  extra: { conntrack?: ConntrackSample } = {},
): Promise<number> {
  const built = buildCapture(dump, { node, capturedAt: at(minutes) });
  const upload = { ...built.upload, role: node.includes("control-plane") ? ("control-plane" as const) : ("worker" as const), ...extra };
  const { final } = await ingestWithResend(db, clusterId, built, { upload });
  if (!final.ok) throw new Error(`capture of ${node} at ${minutes} min refused: ${JSON.stringify(final.error)}`);
  return Number(final.accepted.snapshotId);
}

/** What `recordSeedHistory` stored, for assertions. */
export interface SeedHistory {
  cluster: string;
  clusterId: number;
  /** Snapshot ids by node: the ClusterIP state, then the NodePort state. */
  clusterIpSnapshot: Record<string, number>;
  nodePortSnapshot: Record<string, number>;
  /** Minutes (see `at`) of the steps. */
  minutes: { first: 0; curls: 1; nodePort: 10; worker3Follows: 20 };
}

/** The seed cluster's history (see the module comment) in a new cluster `name`. */
export async function recordSeedHistory(db: Db, name: string): Promise<SeedHistory> {
  const cluster = await db.cluster.create({ data: { name } });
  const clusterIp = seedDump("clusterip");
  const nodePort = seedDump("nodeport");
  const clusterIpSnapshot: Record<string, number> = {};
  const nodePortSnapshot: Record<string, number> = {};
  const [controlPlane, ...workers] = SEED_NODES;

  clusterIpSnapshot[controlPlane] = await capture(db, cluster.id, controlPlane, clusterIp, 0, { conntrack: conntrackSample(180, 0) });
  for (const worker of workers) clusterIpSnapshot[worker] = await capture(db, cluster.id, worker, withoutTraffic(clusterIp), 0);
  // A minute later the note's 100 curls run again from net-pod on the control plane.
  await capture(db, cluster.id, controlPlane, trafficRepeated(clusterIp), 1, { conntrack: conntrackSample(260, 100) });
  for (const worker of workers) await capture(db, cluster.id, worker, withoutTraffic(clusterIp), 1);

  // `kubectl edit` makes the service a NodePort; myk8s-worker3's kube-proxy does not follow for ten minutes.
  nodePortSnapshot[controlPlane] = await capture(db, cluster.id, controlPlane, nodePort, 10, { conntrack: conntrackSample(90, 130) });
  for (const worker of ["myk8s-worker", "myk8s-worker2"]) nodePortSnapshot[worker] = await capture(db, cluster.id, worker, withoutTraffic(nodePort), 10);
  await capture(db, cluster.id, "myk8s-worker3", withoutTraffic(clusterIp), 10);
  await capture(db, cluster.id, "myk8s-worker3", withoutTraffic(clusterIp), 15);
  nodePortSnapshot["myk8s-worker3"] = await capture(db, cluster.id, "myk8s-worker3", withoutTraffic(nodePort), 20);
  return {
    cluster: name,
    clusterId: cluster.id,
    clusterIpSnapshot,
    nodePortSnapshot,
    minutes: { first: 0, curls: 1, nodePort: 10, worker3Follows: 20 },
  };
}

/** Pod IPs of the seed's three whoami pods, and the IP the restarted one comes back with. */
export const PODS = { before: ["10.10.1.2", "10.10.2.2", "10.10.3.3"], after: ["10.10.1.2", "10.10.2.5", "10.10.3.3"] };

function podEvent(type: "ADDED" | "DELETED" | "MODIFIED", name: string, ip: string, resourceVersion: string, minutes: number) {
  return {
    kind: "Pod" as const,
    type,
    observedAt: at(minutes),
    object: { metadata: { name, namespace: "default", resourceVersion }, status: { podIP: ip, podIPs: [{ ip }] } },
  };
}

/** The pod-restart history (see the module comment) in a new cluster `name`, starting at minute `start`. */
export async function recordPodRestartHistory(db: Db, name: string, start = 100): Promise<{ cluster: string; clusterId: number }> {
  const cluster = await db.cluster.create({ data: { name } });
  const before = renderedDump([seedService(PODS.before)]);
  const after = renderedDump([seedService(PODS.after)]);
  for (const node of SEED_NODES) await capture(db, cluster.id, node, before, start);
  await ingestKubeEvents(
    db,
    cluster.id,
    kubeEventBatchSchema.parse({
      cluster: name,
      events: [
        podEvent("DELETED", "web-2", "10.10.2.2", "1001", start + 4.5),
        podEvent("MODIFIED", "web-4", "10.10.2.5", "1002", start + 4.8),
      ],
    }),
  );
  for (const node of SEED_NODES.slice(0, 3)) await capture(db, cluster.id, node, after, start + 5);
  await capture(db, cluster.id, "myk8s-worker3", before, start + 5);
  await capture(db, cluster.id, "myk8s-worker3", after, start + 8);
  return { cluster: name, clusterId: cluster.id };
}
