/**
 * Which snapshot held on a node at a time. A snapshot covers [firstSeen, lastSeen] of one node and address family;
 * the state at t is the last snapshot that began at or before t. Both lookups below are one seek on the
 * (nodeId, family, firstSeen) index, never a scan of the node's history.
 */
import type { Db } from "../db";

/** Address family of a ruleset. */
export type AddressFamily = "ipv4" | "ipv6";

/** The snapshot columns readers need. */
export interface SnapshotRow {
  id: number;
  nodeId: number;
  rulesetDigest: string;
  backend: string;
  family: string;
  firstSeen: Date;
  lastSeen: Date;
  captureCount: number;
}

export const snapshotColumns = {
  id: true,
  nodeId: true,
  rulesetDigest: true,
  backend: true,
  family: true,
  firstSeen: true,
  lastSeen: true,
  captureCount: true,
} as const;

/** The snapshot of `nodeId` and `family` at `at` (default: the latest), or null when the node had none yet. */
export async function snapshotAt(db: Db, nodeId: number, family: AddressFamily, at?: Date): Promise<SnapshotRow | null> {
  return db.snapshot.findFirst({
    where: { nodeId, family, ...(at ? { firstSeen: { lte: at } } : {}) },
    // Two captures with the same timestamp cannot both start a snapshot, but the id breaks a tie deterministically.
    orderBy: [{ firstSeen: "desc" }, { id: "desc" }],
    select: snapshotColumns,
  });
}

/** `snapshotAt` for several nodes, keyed by node id; nodes without a snapshot are absent. */
export async function snapshotsAt(
  db: Db,
  nodeIds: readonly number[],
  family: AddressFamily,
  at?: Date,
): Promise<Map<number, SnapshotRow>> {
  const rows = await Promise.all(nodeIds.map((id) => snapshotAt(db, id, family, at)));
  const byNode = new Map<number, SnapshotRow>();
  for (const row of rows) if (row) byNode.set(row.nodeId, row);
  return byNode;
}
