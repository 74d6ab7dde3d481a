/**
 * The nodes of a cluster: when each last captured, in which mode, and how much history it has. Reads only node,
 * snapshot and ruleset header rows — never a manifest, a chain body or a model — so it stays cheap at any scale.
 */
import type { Db } from "../db";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { snapshotsAt, type AddressFamily } from "./snapshot-at";

/** The node's current ruleset of one address family. */
export interface CurrentSnapshot {
  snapshotId: number;
  rulesetDigest: string;
  backend: string;
  /** kube-proxy mode the ruleset was read as. */
  mode: string;
  /** Since when the node has had exactly these rules, and when a capture last confirmed them. */
  firstSeen: Date;
  lastSeen: Date;
  captures: number;
  /** Chains in the ruleset (every table captured). */
  chains: number;
}

/** One node of `GET /api/v1/clusters/{cluster}/nodes`. */
export interface NodeSummary {
  name: string;
  role: string;
  firstSeen: Date;
  /** Time of the node's last capture. */
  lastCaptureAt: Date;
  /** Netfilter backend and kube-proxy mode of the last capture. */
  backend: string | null;
  mode: string | null;
  /** Distinct ruleset states recorded (all families), and captures across them. */
  snapshots: number;
  captures: number;
  /** Current ruleset per family; a family the node never captured is absent. */
  current: Partial<Record<AddressFamily, CurrentSnapshot>>;
}

const FAMILIES: readonly AddressFamily[] = ["ipv4", "ipv6"];

/** The nodes of `clusterName`, by name, or NotFound. */
export async function listNodes(db: Db, clusterName: string): Promise<NodeSummary[] | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const nodes = await db.node.findMany({ where: { clusterId: cluster.id }, orderBy: { name: "asc" } });
  const nodeIds = nodes.map((n) => n.id);
  const [history, ...current] = await Promise.all([
    db.snapshot.groupBy({ by: ["nodeId"], where: { nodeId: { in: nodeIds } }, _count: { _all: true }, _sum: { captureCount: true } }),
    ...FAMILIES.map((family) => snapshotsAt(db, nodeIds, family)),
  ]);
  const digests = [...new Set(current.flatMap((byNode) => [...byNode.values()].map((s) => s.rulesetDigest)))];
  const rulesets = await db.ruleset.findMany({
    where: { digest: { in: digests } },
    select: { digest: true, mode: true, chainCount: true },
  });
  const rulesetByDigest = new Map(rulesets.map((r) => [r.digest, r]));
  const historyByNode = new Map(history.map((h) => [h.nodeId, h]));

  return nodes.map((node) => {
    const summary: NodeSummary = {
      name: node.name,
      role: node.role,
      firstSeen: node.firstSeen,
      lastCaptureAt: node.lastSeen,
      backend: node.lastBackend,
      mode: node.lastMode,
      snapshots: historyByNode.get(node.id)?._count._all ?? 0,
      captures: historyByNode.get(node.id)?._sum.captureCount ?? 0,
      current: {},
    };
    FAMILIES.forEach((family, i) => {
      const snapshot = current[i]?.get(node.id);
      if (!snapshot) return;
      const ruleset = rulesetByDigest.get(snapshot.rulesetDigest);
      summary.current[family] = {
        snapshotId: snapshot.id,
        rulesetDigest: snapshot.rulesetDigest,
        backend: snapshot.backend,
        mode: ruleset?.mode ?? "iptables",
        firstSeen: snapshot.firstSeen,
        lastSeen: snapshot.lastSeen,
        captures: snapshot.captureCount,
        chains: ruleset?.chainCount ?? 0,
      };
    });
    return summary;
  });
}
