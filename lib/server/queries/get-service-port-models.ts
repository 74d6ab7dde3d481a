/**
 * One service port's kube-proxy model on every node: the paths into it (KUBE-SERVICES / KUBE-NODEPORTS → KUBE-EXT →
 * KUBE-SVC → KUBE-SEP), masquerade marks, and whether each chain name is kube-proxy's hash of what it serves. The
 * service view draws its chain flow from this; getServicePort has the counters and the agreement.
 */
import type { ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { readRulesetModel } from "./read-ruleset-model";
import { snapshotsAt, type AddressFamily } from "./snapshot-at";

/** The port as one node's rules have it. */
export interface NodeServicePortModel {
  node: string;
  snapshotId: number;
  /** When the node's rules began to be what they are (as of `at`). */
  since: Date;
  /** Null when the node's rules lack the port. */
  model: ServicePortModel | null;
}

export interface ServicePortModels {
  cluster: string;
  servicePort: string;
  family: AddressFamily;
  /** Every node that reports the family, by name. */
  nodes: NodeServicePortModel[];
}

export interface ServicePortModelsOptions {
  /** Only this protocol (a name is unique per protocol in Kubernetes, but the rules key by both). */
  protocol?: string;
  family?: AddressFamily;
  /** The nodes' rules as of this time (default: now). */
  at?: Date;
}

/** The models of `servicePort` on every node of `clusterName`, or NotFound for an unknown cluster. */
export async function getServicePortModels(
  db: Db,
  clusterName: string,
  servicePort: string,
  options: ServicePortModelsOptions = {},
): Promise<ServicePortModels | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const family = options.family ?? "ipv4";
  const nodes = await db.node.findMany({ where: { clusterId: cluster.id }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  const snapshots = await snapshotsAt(db, nodes.map((n) => n.id), family, options.at);
  const views: NodeServicePortModel[] = [];
  for (const node of nodes) {
    const snapshot = snapshots.get(node.id);
    if (!snapshot) continue;
    const model = await readRulesetModel(db, snapshot.rulesetDigest);
    const port = model?.servicePorts.find((p) => p.name === servicePort && (!options.protocol || p.protocol === options.protocol)) ?? null;
    views.push({ node: node.name, snapshotId: snapshot.id, since: snapshot.firstSeen, model: port });
  }
  return { cluster: cluster.name, servicePort, family, nodes: views };
}
