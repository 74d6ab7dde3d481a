/**
 * Use case: keep N days of history (NATWATCH_RETENTION_DAYS) and drop the rest.
 *
 * What goes: captures, snapshots that ended before the cutoff, the changes, traffic windows, counter samples,
 * conntrack samples, flows and kube events older than it; then rulesets no snapshot shows any more, and chain
 * bodies no ruleset names any more.
 * What stays, whatever its age:
 * - each node's latest snapshot per family (its last known rules: a node that stopped reporting still shows what it
 *   last had, marked stale by its last capture time);
 * - the latest counter sample of every rule, because the next capture's traffic is the delta against it;
 * - every ruleset another kept ruleset is a delta of (its base chain), and every chain body a kept ruleset names.
 *   The database enforces the last two with restricting foreign keys; the order of deletion below respects them.
 */
import type { Db } from "../db";
import { epochSeconds } from "../queries/db-provider";

export interface PruneResult {
  cutoff: Date;
  captures: number;
  snapshots: number;
  serviceChanges: number;
  endpointTraffic: number;
  ruleCounterSamples: number;
  conntrackSamples: number;
  flowAggregates: number;
  kubeEvents: number;
  rulesets: number;
  chainBodies: number;
}

const DAY_MS = 86_400_000;

/** Deletes history older than `retentionDays` before `now` (see the module comment). */
export async function pruneHistory(db: Db, retentionDays: number, now: Date = new Date()): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);

  const latest = await db.snapshot.groupBy({ by: ["nodeId", "family"], _max: { firstSeen: true } });
  const keep = await db.snapshot.findMany({
    where: { OR: latest.map((l) => ({ nodeId: l.nodeId, family: l.family, firstSeen: l._max.firstSeen! })) },
    select: { id: true },
  });
  const keepIds = keep.map((s) => s.id);

  const captures = await db.capture.deleteMany({ where: { capturedAt: { lt: cutoff }, snapshotId: { notIn: keepIds } } });
  const serviceChanges = await db.serviceChange.deleteMany({ where: { at: { lt: cutoff } } });
  // Snapshots cascade to their remaining captures and changes.
  const snapshots = await db.snapshot.deleteMany({ where: { lastSeen: { lt: cutoff }, id: { notIn: keepIds } } });
  const endpointTraffic = await db.endpointTraffic.deleteMany({ where: { windowEnd: { lt: cutoff } } });
  const conntrackSamples = await db.conntrackSample.deleteMany({ where: { capturedAt: { lt: cutoff } } });
  const flowAggregates = await db.flowAggregate.deleteMany({ where: { capturedAt: { lt: cutoff } } });
  const kubeEvents = await db.kubeEvent.deleteMany({ where: { at: { lt: cutoff } } });
  // Compared as epoch seconds: SQLite keeps DateTimes as ISO text and PostgreSQL as timestamps, and a number is
  // the one literal both compare alike. Retention runs rarely; it may scan.
  const cutoffSeconds = Math.floor(cutoff.getTime() / 1000);
  const ruleCounterSamples = await db.$executeRaw`
    DELETE FROM "RuleCounterSample" WHERE ${epochSeconds(db, "capturedAt")} < ${cutoffSeconds} AND EXISTS (
      SELECT 1 FROM "RuleCounterSample" later
      WHERE later."nodeId" = "RuleCounterSample"."nodeId" AND later."family" = "RuleCounterSample"."family"
        AND later."chain" = "RuleCounterSample"."chain" AND later."position" = "RuleCounterSample"."position"
        AND later."capturedAt" > "RuleCounterSample"."capturedAt")`;

  const rulesets = await pruneRulesets(db);
  // A body is kept while any manifest row names it (the foreign key would refuse the delete otherwise).
  const chainBodies = await db.chainBody.deleteMany({ where: { rulesetChains: { none: {} } } });

  return {
    cutoff,
    captures: captures.count,
    snapshots: snapshots.count,
    serviceChanges: serviceChanges.count,
    endpointTraffic: endpointTraffic.count,
    ruleCounterSamples,
    conntrackSamples: conntrackSamples.count,
    flowAggregates: flowAggregates.count,
    kubeEvents: kubeEvents.count,
    rulesets,
    chainBodies: chainBodies.count,
  };
}

/**
 * Deletes rulesets no snapshot shows, leaves first: a ruleset that is the base of another is kept until that one
 * goes, so each round removes the unreferenced rulesets nothing is a delta of, until a round removes none.
 */
async function pruneRulesets(db: Db): Promise<number> {
  let removed = 0;
  for (;;) {
    const { count } = await db.ruleset.deleteMany({ where: { snapshots: { none: {} }, deltas: { none: {} } } });
    removed += count;
    if (count === 0) return removed;
  }
}
