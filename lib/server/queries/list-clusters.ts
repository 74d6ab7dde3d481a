/** Every cluster natwatch knows, with how many nodes report and when the last one did. */
import type { Db } from "../db";

/** One cluster of `GET /api/v1/clusters`. */
export interface ClusterSummary {
  name: string;
  createdAt: Date;
  /** Nodes that have ever reported. */
  nodes: number;
  /** Latest capture of any node (the nodes' lastSeen), or null before the first one. */
  lastCaptureAt: Date | null;
}

/** All clusters, by name. Two queries whatever the number of clusters. */
export async function listClusters(db: Db): Promise<ClusterSummary[]> {
  const [clusters, nodeStats] = await Promise.all([
    db.cluster.findMany({ select: { id: true, name: true, createdAt: true }, orderBy: { name: "asc" } }),
    db.node.groupBy({ by: ["clusterId"], _count: { _all: true }, _max: { lastSeen: true } }),
  ]);
  const statsByCluster = new Map(nodeStats.map((s) => [s.clusterId, s]));
  return clusters.map((cluster) => {
    const stats = statsByCluster.get(cluster.id);
    return {
      name: cluster.name,
      createdAt: cluster.createdAt,
      nodes: stats?._count._all ?? 0,
      lastCaptureAt: stats?._max.lastSeen ?? null,
    };
  });
}
