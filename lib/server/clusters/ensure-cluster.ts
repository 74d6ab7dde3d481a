/** Use case: the cluster row for a name, created on first use (a token or a demo load names it first). */
import type { Db } from "../db";

export interface ClusterRow {
  id: number;
  name: string;
}

export async function ensureCluster(db: Db, name: string): Promise<ClusterRow> {
  const cluster = await db.cluster.upsert({ where: { name }, update: {}, create: { name }, select: { id: true, name: true } });
  return cluster;
}
