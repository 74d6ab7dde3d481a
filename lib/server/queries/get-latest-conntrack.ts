/**
 * Each node's latest conntrack sample: how full its table is now and the per-CPU `conntrack -S` counters behind the
 * totals. One seek per node on the (nodeId, capturedAt) key, whatever the history's length.
 */
import type { Db } from "../db";
import type { ConntrackCounters } from "./get-conntrack-series";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";

/** One CPU's counters since boot. */
export interface CpuConntrackCounters extends ConntrackCounters {
  cpu: number;
}

/** A node's latest sample. */
export interface LatestConntrack {
  node: string;
  capturedAt: Date;
  count: number;
  max: number;
  /** count / max (0 when the limit is unknown). */
  fill: number;
  /** Per CPU, as the node reported them; empty when it sent totals only. */
  perCpu: CpuConntrackCounters[];
}

/** Latest samples of the nodes of `clusterName` that sent any, keyed by node name; or NotFound. */
export async function getLatestConntrack(db: Db, clusterName: string, options: { at?: Date } = {}): Promise<Map<string, LatestConntrack> | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const nodes = await db.node.findMany({ where: { clusterId: cluster.id }, select: { id: true, name: true } });
  const samples = await Promise.all(
    nodes.map((n) =>
      db.conntrackSample.findFirst({
        where: { nodeId: n.id, ...(options.at ? { capturedAt: { lte: options.at } } : {}) },
        orderBy: { capturedAt: "desc" },
        select: { capturedAt: true, count: true, max: true, perCpu: true },
      }),
    ),
  );
  const latest = new Map<string, LatestConntrack>();
  nodes.forEach((n, i) => {
    const s = samples[i];
    if (!s) return;
    latest.set(n.name, {
      node: n.name,
      capturedAt: s.capturedAt,
      count: s.count,
      max: s.max,
      fill: s.max > 0 ? s.count / s.max : 0,
      perCpu: Array.isArray(s.perCpu) ? (s.perCpu as unknown as CpuConntrackCounters[]) : [],
    });
  });
  return latest;
}
