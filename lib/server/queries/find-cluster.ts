/**
 * Looks up a cluster, and a node of it, by the names URLs carry. Every cluster-scoped query starts here, so an unknown
 * name is reported the same way everywhere.
 */
import type { Db } from "../db";
import { notFound, type NotFound } from "./not-found";

/** A cluster row as queries need it. */
export interface ClusterRef {
  id: number;
  name: string;
}

/** A node row as queries need it. */
export interface NodeRef {
  id: number;
  name: string;
  cluster: ClusterRef;
}

/** The cluster called `name`, or NotFound. */
export async function findCluster(db: Db, name: string): Promise<ClusterRef | NotFound> {
  const cluster = await db.cluster.findUnique({ where: { name }, select: { id: true, name: true } });
  return cluster ?? notFound("cluster", name, `unknown cluster "${name}"`);
}

/** Node `nodeName` of cluster `clusterName`, or NotFound naming whichever is unknown. */
export async function findNode(db: Db, clusterName: string, nodeName: string): Promise<NodeRef | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const node = await db.node.findUnique({
    where: { clusterId_name: { clusterId: cluster.id, name: nodeName } },
    select: { id: true, name: true },
  });
  if (!node) return notFound("node", nodeName, `unknown node "${nodeName}" in cluster "${cluster.name}"`);
  return { ...node, cluster };
}
