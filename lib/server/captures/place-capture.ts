/**
 * Puts one capture into its node's history of snapshots, in capturedAt order whatever the arrival order.
 *
 * A node's snapshots (one family) are intervals [firstSeen, lastSeen] of distinct consecutive ruleset states, sorted
 * by firstSeen. For a capture at t with ruleset R, let P be the snapshot with the latest firstSeen ≤ t and N the next
 * one. The rule:
 * 1. P shows R (same ruleset, same backend): the capture joins P; lastSeen grows to t if t is later.
 *    This is every unchanged capture: one Capture row and one Snapshot update.
 * 2. N shows R and t is after P's last capture: the capture joins N, whose firstSeen moves back to t (and so does
 *    the time of the changes N began with).
 * 3. t is after P's last capture (or there is no P): a new snapshot [t, t] between P and N. Its changes are derived
 *    against P; N's changes are derived again, against the new snapshot.
 * 4. t falls inside P's interval but R differs: the capture proves the node left P's state and came back, so P is
 *    split. P keeps its captures up to t, the new snapshot [t, t] follows, and a copy of P's state takes P's later
 *    captures. N keeps its changes (it follows the same state as before).
 * Every step keeps the intervals of a node disjoint and ordered, so "the snapshot of a node at time t" stays one
 * index range. Callers serialize captures per node (see ingest-capture.ts), so the neighbours cannot move meanwhile.
 */
import { diffServiceModels } from "../../diff/diff-service-models";
import type { ProxyModel } from "../../kube-proxy/types";
import type { Tx } from "./transaction";

/** The capture being placed. */
export interface CapturePlacement {
  clusterId: number;
  nodeId: number;
  family: string;
  backend: string;
  rulesetDigest: string;
  captureId: string;
  capturedAt: Date;
}

/** Where it went. */
export interface PlacementResult {
  snapshotId: number;
  newSnapshot: boolean;
  /** ServiceChange rows this capture's new snapshot began with (0 when it joined an existing state). */
  changes: number;
  /** First capture time of that snapshot. */
  snapshotFirstSeen: Date;
  /**
   * True when later captures of the node had already arrived (the capture was placed in history); null when the
   * capture joined the snapshot covering its time and that snapshot ends before it (finding out would cost a query
   * the unchanged-capture path does not need; see `hasLaterCapture`).
   */
  late: boolean | null;
}

/** A snapshot row as placement reads it. */
export type SnapshotRow = { id: number; rulesetDigest: string; backend: string; firstSeen: Date; lastSeen: Date; captureCount: number };

/** The node's snapshot with the latest firstSeen ≤ t (P of the module comment). */
export function snapshotCovering(tx: Tx, nodeId: number, family: string, t: Date): Promise<SnapshotRow | null> {
  return tx.snapshot.findFirst({
    where: { nodeId, family, firstSeen: { lte: t } },
    orderBy: { firstSeen: "desc" },
    select: { id: true, rulesetDigest: true, backend: true, firstSeen: true, lastSeen: true, captureCount: true },
  });
}

/** True when the node has a capture of this family taken after t. */
export async function hasLaterCapture(tx: Tx, nodeId: number, family: string, t: Date): Promise<boolean> {
  return (await tx.capture.findFirst({ where: { nodeId, family, capturedAt: { gt: t } }, select: { captureId: true } })) !== null;
}

/** Reads the model of a ruleset (cached; see ruleset-model.ts). */
export type ModelOf = (rulesetDigest: string) => Promise<ProxyModel>;

/**
 * Places the capture (see the module comment) and writes its Capture row. `previous` is `snapshotCovering` at the
 * capture's time, read by the caller.
 */
export async function placeCapture(tx: Tx, capture: CapturePlacement, previous: SnapshotRow | null, modelOf: ModelOf): Promise<PlacementResult> {
  const t = capture.capturedAt;
  const where = { nodeId: capture.nodeId, family: capture.family };
  const shows = (s: SnapshotRow | null) => s !== null && s.rulesetDigest === capture.rulesetDigest && s.backend === capture.backend;
  const addCapture = (snapshotId: number) =>
    tx.capture.create({ data: { nodeId: capture.nodeId, captureId: capture.captureId, family: capture.family, capturedAt: t, snapshotId } });

  // 1. Same state as the snapshot covering t.
  if (previous && shows(previous)) {
    await tx.snapshot.update({
      where: { id: previous.id },
      data: { captureCount: { increment: 1 }, ...(t > previous.lastSeen ? { lastSeen: t } : {}) },
    });
    await addCapture(previous.id);
    return { snapshotId: previous.id, snapshotFirstSeen: previous.firstSeen, newSnapshot: false, changes: 0, late: previous.lastSeen > t ? true : null };
  }
  const next: SnapshotRow | null = await tx.snapshot.findFirst({ where: { ...where, firstSeen: { gt: t } }, orderBy: { firstSeen: "asc" } });
  const late = next !== null || (previous !== null && previous.lastSeen > t);
  const afterPrevious = previous === null || previous.lastSeen < t;

  // 2. Same state as the next snapshot, which therefore began earlier than known.
  if (next && afterPrevious && shows(next)) {
    await tx.snapshot.update({ where: { id: next.id }, data: { firstSeen: t, captureCount: { increment: 1 } } });
    await tx.serviceChange.updateMany({ where: { snapshotId: next.id }, data: { at: t } });
    await addCapture(next.id);
    return { snapshotId: next.id, snapshotFirstSeen: t, newSnapshot: false, changes: 0, late };
  }

  const created = await tx.snapshot.create({
    data: { ...where, rulesetDigest: capture.rulesetDigest, backend: capture.backend, firstSeen: t, lastSeen: t },
  });
  await addCapture(created.id);
  const changes = previous ? await recordChanges(tx, capture, previous.rulesetDigest, created.id, t, modelOf) : 0;

  // 4. Inside P's interval: split P around the new snapshot.
  if (previous && !afterPrevious) {
    const moved = await tx.capture.findMany({ where: { snapshotId: previous.id, capturedAt: { gt: t } }, select: { capturedAt: true } });
    if (moved.length > 0) {
      const times = moved.map((c) => c.capturedAt.getTime());
      const kept = await tx.capture.aggregate({ where: { snapshotId: previous.id, capturedAt: { lte: t } }, _max: { capturedAt: true } });
      const resumed = await tx.snapshot.create({
        data: {
          ...where,
          rulesetDigest: previous.rulesetDigest,
          backend: previous.backend,
          firstSeen: new Date(Math.min(...times)),
          lastSeen: previous.lastSeen,
          captureCount: moved.length,
        },
      });
      await tx.capture.updateMany({ where: { snapshotId: previous.id, capturedAt: { gt: t } }, data: { snapshotId: resumed.id } });
      await tx.snapshot.update({
        where: { id: previous.id },
        data: { lastSeen: kept._max.capturedAt ?? previous.firstSeen, captureCount: previous.captureCount - moved.length },
      });
      await recordChanges(tx, { ...capture, rulesetDigest: previous.rulesetDigest }, capture.rulesetDigest, resumed.id, resumed.firstSeen, modelOf);
      return { snapshotId: created.id, snapshotFirstSeen: t, newSnapshot: true, changes, late };
    }
  }

  // 3. Between P and N: N now follows the new snapshot, so its changes are derived again.
  if (next) {
    await tx.serviceChange.deleteMany({ where: { snapshotId: next.id } });
    await recordChanges(tx, { ...capture, rulesetDigest: next.rulesetDigest }, capture.rulesetDigest, next.id, next.firstSeen, modelOf);
  } else if (previous && previous.rulesetDigest !== capture.rulesetDigest) {
    await dropSupersededModel(tx, previous.rulesetDigest);
  }
  return { snapshotId: created.id, snapshotFirstSeen: t, newSnapshot: true, changes, late };
}

/**
 * Deletes the stored model of a ruleset no node shows any more (in its latest snapshot). A 10k-service model is
 * ~17 MB of JSON, so keeping one per ruleset would make every change cost megabytes; the model is a cache of a pure
 * function of the ruleset (models.prisma, RulesetModel), rebuilt by whoever reads an old snapshot's model.
 */
async function dropSupersededModel(tx: Tx, rulesetDigest: string): Promise<void> {
  const current = await tx.$queryRaw<{ id: number }[]>`
    SELECT s."id" FROM "Snapshot" s
    WHERE s."rulesetDigest" = ${rulesetDigest}
      AND NOT EXISTS (SELECT 1 FROM "Snapshot" t WHERE t."nodeId" = s."nodeId" AND t."family" = s."family" AND t."firstSeen" > s."firstSeen")
    LIMIT 1`;
  if (current.length === 0) await tx.rulesetModel.deleteMany({ where: { rulesetDigest } });
}

/** Derives and stores the service changes from ruleset `beforeDigest` to `after.rulesetDigest`, for snapshot `snapshotId`. */
async function recordChanges(
  tx: Tx,
  after: CapturePlacement,
  beforeDigest: string,
  snapshotId: number,
  at: Date,
  modelOf: ModelOf,
): Promise<number> {
  if (beforeDigest === after.rulesetDigest) return 0;
  const changes = diffServiceModels(await modelOf(beforeDigest), await modelOf(after.rulesetDigest));
  if (changes.length === 0) return 0;
  await tx.serviceChange.createMany({
    data: changes.map((change) => ({
      clusterId: after.clusterId,
      nodeId: after.nodeId,
      snapshotId,
      servicePort: change.servicePort,
      kind: change.kind,
      detail: change as object,
      at,
    })),
  });
  return changes.length;
}
