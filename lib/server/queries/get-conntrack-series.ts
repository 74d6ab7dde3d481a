/**
 * Is conntrack near its limit, are inserts failing? A node's conntrack fill (count / max) and the per-CPU statistics
 * of `conntrack -S`, summed over CPUs, over a time range. The statistics are counters since boot, so each point also
 * carries the increase since the previous point — what a person wants to see — and a counter that went down (the
 * node rebooted) counts from zero rather than going negative.
 *
 * Samples are grouped into buckets by the database over the (nodeId, capturedAt) key: a bucket reports the peak
 * fill and the counters' last (largest) values, so a spike within a bucket is never averaged away.
 */
import type { Db } from "../db";
import { bucketStart, chooseBucketSeconds } from "./db-provider";
import { findNode } from "./find-cluster";
import type { NotFound } from "./not-found";

/** The counters of `conntrack -S`, summed over CPUs. */
export interface ConntrackCounters {
  found: number;
  invalid: number;
  insert: number;
  insertFailed: number;
  drop: number;
  earlyDrop: number;
  error: number;
  searchRestart: number;
}

/** One point of the series. */
export interface ConntrackPoint {
  /** Start of the bucket. */
  at: Date;
  /** Peak number of entries in the bucket, the table's limit, and their ratio. */
  count: number;
  max: number;
  fill: number;
  samples: number;
  /** Counter values since boot at the end of the bucket. */
  totals: ConntrackCounters;
  /** Increase since the previous point (null for the first point: nothing to compare with). */
  increase: ConntrackCounters | null;
}

export interface ConntrackSeries {
  cluster: string;
  node: string;
  from: Date;
  to: Date;
  bucketSeconds: number;
  points: ConntrackPoint[];
}

export interface ConntrackSeriesOptions {
  from: Date;
  to: Date;
  /** Default: the smallest of 10s, 30s, 1m, 5m, … giving at most 300 points. */
  bucketSeconds?: number;
}

const COUNTERS = ["found", "invalid", "insert", "insertFailed", "drop", "earlyDrop", "error", "searchRestart"] as const;

/** Conntrack series of `nodeName` in `clusterName`, or NotFound. */
export async function getConntrackSeries(
  db: Db,
  clusterName: string,
  nodeName: string,
  options: ConntrackSeriesOptions,
): Promise<ConntrackSeries | NotFound> {
  const node = await findNode(db, clusterName, nodeName);
  if ("notFound" in node) return node;
  const { from, to } = options;
  const bucketSeconds = Math.max(options.bucketSeconds ?? chooseBucketSeconds(from, to, 300, 10), Math.ceil((to.getTime() - from.getTime()) / 1000 / 5_000));
  const bucket = bucketStart(db, "capturedAt", bucketSeconds);
  const rows = await db.$queryRaw<Record<string, bigint | number | null>[]>`
    SELECT ${bucket} AS "bucket", COUNT(*) AS "samples", MAX("count") AS "count", MAX("max") AS "max",
      MAX("found") AS "found", MAX("invalid") AS "invalid", MAX("insert") AS "insert", MAX("insertFailed") AS "insertFailed",
      MAX("drop") AS "drop", MAX("earlyDrop") AS "earlyDrop", MAX("error") AS "error", MAX("searchRestart") AS "searchRestart"
    FROM "ConntrackSample"
    WHERE "nodeId" = ${node.id} AND "capturedAt" >= ${from} AND "capturedAt" <= ${to}
    GROUP BY 1
    ORDER BY 1`;
  let previous: ConntrackCounters | null = null;
  const points = rows.map((row): ConntrackPoint => {
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, Number(row[c] ?? 0)])) as unknown as ConntrackCounters;
    const increase = previous ? increaseOf(previous, totals) : null;
    previous = totals;
    const count = Number(row.count ?? 0);
    const max = Number(row.max ?? 0);
    return { at: new Date(Number(row.bucket) * 1000), count, max, fill: max > 0 ? count / max : 0, samples: Number(row.samples), totals, increase };
  });
  return { cluster: node.cluster.name, node: node.name, from, to, bucketSeconds, points };
}

/** Per-counter increase; a counter below its previous value was reset (reboot) and counts from zero. */
function increaseOf(before: ConntrackCounters, after: ConntrackCounters): ConntrackCounters {
  const result = {} as ConntrackCounters;
  for (const c of COUNTERS) result[c] = after[c] >= before[c] ? after[c] - before[c] : after[c];
  return result;
}
