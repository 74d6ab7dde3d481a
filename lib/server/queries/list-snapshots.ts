/**
 * A node's snapshots (distinct ruleset states) over a time range, newest first: the states that began inside the
 * range, and the one already in place when it began.
 */
import type { Db } from "../db";
import { findNode } from "./find-cluster";
import type { NotFound } from "./not-found";
import { snapshotAt, snapshotColumns, type AddressFamily, type SnapshotRow } from "./snapshot-at";

/** One snapshot of `GET …/nodes/{node}/snapshots`. */
export interface SnapshotSummary {
  id: number;
  family: string;
  backend: string;
  mode: string;
  rulesetDigest: string;
  /** The node had these rules from firstSeen; lastSeen is the last capture that still found them. */
  firstSeen: Date;
  lastSeen: Date;
  captures: number;
  chains: number;
  /** Service-level changes this snapshot introduced (0 for a node's first snapshot, whose services are all new). */
  changes: number;
}

export interface ListSnapshotsOptions {
  /** Range; `from` absent means since the beginning, `to` absent means now. */
  from?: Date;
  to?: Date;
  /** One family; both when absent. */
  family?: AddressFamily;
  /** Newest first, at most this many (default 200). */
  limit?: number;
}

export interface NodeSnapshots {
  cluster: string;
  node: string;
  snapshots: SnapshotSummary[];
}

/** Snapshots of `nodeName` in `clusterName` (see the module comment), or NotFound. */
export async function listSnapshots(
  db: Db,
  clusterName: string,
  nodeName: string,
  options: ListSnapshotsOptions = {},
): Promise<NodeSnapshots | NotFound> {
  const node = await findNode(db, clusterName, nodeName);
  if ("notFound" in node) return node;
  const limit = options.limit ?? 200;
  const families: AddressFamily[] = options.family ? [options.family] : ["ipv4", "ipv6"];

  const began = await db.snapshot.findMany({
    where: {
      nodeId: node.id,
      family: { in: families },
      firstSeen: { ...(options.from ? { gte: options.from } : {}), ...(options.to ? { lte: options.to } : {}) },
    },
    orderBy: [{ firstSeen: "desc" }, { id: "desc" }],
    take: limit,
    select: snapshotColumns,
  });
  let rows: SnapshotRow[] = began;
  if (options.from && began.length < limit) {
    // The state in place at `from` began before it; without it a quiet range would look empty.
    const from = options.from;
    const before = await Promise.all(families.map((f) => snapshotAt(db, node.id, f, new Date(from.getTime() - 1))));
    rows = [...began, ...before.filter((s): s is SnapshotRow => s !== null)]
      .sort((a, b) => b.firstSeen.getTime() - a.firstSeen.getTime() || b.id - a.id)
      .slice(0, limit);
  }

  const [rulesets, changeCounts] = await Promise.all([
    db.ruleset.findMany({
      where: { digest: { in: [...new Set(rows.map((s) => s.rulesetDigest))] } },
      select: { digest: true, mode: true, chainCount: true },
    }),
    db.serviceChange.groupBy({ by: ["snapshotId"], where: { snapshotId: { in: rows.map((s) => s.id) } }, _count: { _all: true } }),
  ]);
  const rulesetByDigest = new Map(rulesets.map((r) => [r.digest, r]));
  const changesBySnapshot = new Map(changeCounts.map((c) => [c.snapshotId, c._count._all]));
  return {
    cluster: node.cluster.name,
    node: node.name,
    snapshots: rows.map((s) => ({
      id: s.id,
      family: s.family,
      backend: s.backend,
      mode: rulesetByDigest.get(s.rulesetDigest)?.mode ?? "iptables",
      rulesetDigest: s.rulesetDigest,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      captures: s.captureCount,
      chains: rulesetByDigest.get(s.rulesetDigest)?.chainCount ?? 0,
      changes: changesBySnapshot.get(s.id) ?? 0,
    })),
  };
}
