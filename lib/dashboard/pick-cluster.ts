/**
 * The cluster a view shows: the one the URL names, or — when it names none — the first cluster natwatch knows, so
 * a bare `/services` opens on something. A named cluster that does not exist is not replaced by another: the view
 * says so instead of showing a different cluster under a pasted link.
 */
import type { Db } from "@/lib/server/db";
import { listClusters, type ClusterSummary } from "@/lib/server/queries/list-clusters";

export type PickedCluster = { cluster: ClusterSummary } | { unknown: string } | { none: true };

export async function pickCluster(db: Db, wanted: string | undefined): Promise<PickedCluster> {
  const clusters = await listClusters(db);
  if (wanted !== undefined) {
    const cluster = clusters.find((c) => c.name === wanted);
    return cluster ? { cluster } : { unknown: wanted };
  }
  const first = clusters[0];
  return first ? { cluster: first } : { none: true };
}
