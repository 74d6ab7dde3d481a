/**
 * Naming one side of a diff. A reference is
 * - a snapshot id: `1234`;
 * - a node, meaning its rules now: `myk8s-worker2`;
 * - a node at a time, meaning the rules it had then: `myk8s-worker2@1h`, `myk8s-worker2@2026-01-05T10:00:00Z`.
 * So "now, worker2 vs worker3" is `from=myk8s-worker2&to=myk8s-worker3`, and "worker2 an hour ago vs now" is
 * `from=myk8s-worker2@1h&to=myk8s-worker2`. A node whose name is all digits is written `NAME@now`.
 */
import type { Db } from "../db";
import type { ClusterRef } from "./find-cluster";
import { notFound, type NotFound } from "./not-found";
import { snapshotAt, snapshotColumns, type AddressFamily, type SnapshotRow } from "./snapshot-at";
import { parseTimeParam } from "./time-param";

export type SnapshotRef = { snapshotId: number } | { node: string; at: Date | null };

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The reference `text` writes (see the module comment), or null when it writes none. */
export function parseSnapshotRef(text: string, now: Date): SnapshotRef | null {
  const value = text.trim();
  if (/^\d{1,12}$/.test(value)) return { snapshotId: Number(value) };
  const at = value.indexOf("@");
  const node = at === -1 ? value : value.slice(0, at);
  if (!NODE_NAME.test(node) || node.length > 253) return null;
  if (at === -1) return { node, at: null };
  const time = parseTimeParam(value.slice(at + 1), now);
  return time ? { node, at: time } : null;
}

/** A resolved reference: the snapshot and the node it belongs to. */
export interface ResolvedSnapshot {
  node: string;
  snapshot: SnapshotRow;
}

/** The snapshot `ref` names in `cluster`, or NotFound (unknown node, no snapshot then, or another cluster's id). */
export async function resolveSnapshotRef(
  db: Db,
  cluster: ClusterRef,
  ref: SnapshotRef,
  family: AddressFamily,
): Promise<ResolvedSnapshot | NotFound> {
  if ("snapshotId" in ref) {
    const snapshot = await db.snapshot.findFirst({
      where: { id: ref.snapshotId, node: { clusterId: cluster.id } },
      select: { ...snapshotColumns, node: { select: { name: true } } },
    });
    if (!snapshot) return notFound("snapshot", String(ref.snapshotId), `cluster "${cluster.name}" has no snapshot ${ref.snapshotId}`);
    const { node, ...row } = snapshot;
    return { node: node.name, snapshot: row };
  }
  const node = await db.node.findUnique({ where: { clusterId_name: { clusterId: cluster.id, name: ref.node } }, select: { id: true, name: true } });
  if (!node) return notFound("node", ref.node, `unknown node "${ref.node}" in cluster "${cluster.name}"`);
  const snapshot = await snapshotAt(db, node.id, family, ref.at ?? undefined);
  if (!snapshot) {
    const when = ref.at ? ` at ${ref.at.toISOString()}` : "";
    return notFound("snapshot", ref.node, `node "${node.name}" had no ${family} snapshot${when}`);
  }
  return { node: node.name, snapshot };
}
