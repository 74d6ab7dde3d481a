/**
 * Is traffic spread the way the rules say? For one service port: per node and endpoint, the share the probability
 * ladder configures and the new connections the node actually sent there (EndpointTraffic, derived at ingest from
 * the balancing rules' counters), as totals and as a bucketed series.
 *
 * A counter window belongs to the moment its closing capture read the counters (windowEnd): that is when natwatch
 * saw the connections, and a range as short as one request loop, which starts after the previous capture, still
 * holds the capture that counted it.
 *
 * The series is summed by the database, grouped by (node, endpoint, bucket), over the (servicePort, windowStart)
 * index: 30 days of one-minute windows come back as a few hundred rows, not hundreds of thousands. Windows are
 * looked up from LONGEST_WINDOW_MS before the range so the index bounds the scan; a window longer than that (an agent
 * silent for over a day) spans a counter history too coarse to place in time and is left out.
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { bucketStart, chooseBucketSeconds } from "./db-provider";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { readRulesetModel } from "./read-ruleset-model";
import { snapshotsAt, type AddressFamily } from "./snapshot-at";

/** One endpoint's traffic. */
export interface EndpointTrafficView {
  endpoint: string;
  /**
   * Share of new connections the rules configure. Per node: the node's ladder (null when the node's current rules
   * no longer name the endpoint). Overall: the nodes' shares weighted by how many connections each node sent.
   */
  configuredShare: number | null;
  newConnections: number;
  /** newConnections over all connections of the node (overall: of the cluster); null without traffic. */
  observedShare: number | null;
  /** New connections per bucket, aligned with `buckets`. */
  series: number[];
}

export interface NodeTrafficView {
  node: string;
  newConnections: number;
  endpoints: EndpointTrafficView[];
}

export interface EndpointTraffic {
  cluster: string;
  servicePort: string;
  from: Date;
  to: Date;
  bucketSeconds: number;
  /** Start of each bucket. */
  buckets: Date[];
  overall: { newConnections: number; endpoints: EndpointTrafficView[] };
  nodes: NodeTrafficView[];
}

export interface EndpointTrafficOptions {
  from: Date;
  to: Date;
  /** Bucket width; default the smallest of 1m, 5m, 15m, 1h, 6h, 1d giving at most 200 buckets. */
  bucketSeconds?: number;
  family?: AddressFamily;
}

/** Upper bound on buckets, so a tiny bucket over a long range cannot produce a huge response. */
export const MAX_BUCKETS = 2_000;

/** Default bucket width for a range (see EndpointTrafficOptions). */
export function defaultBucketSeconds(from: Date, to: Date): number {
  return chooseBucketSeconds(from, to, 200, 60);
}

/** Endpoint traffic of `servicePort` in `clusterName` (see the module comment), or NotFound for an unknown cluster. */
export async function getEndpointTraffic(
  db: Db,
  clusterName: string,
  servicePort: string,
  options: EndpointTrafficOptions,
): Promise<EndpointTraffic | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const { from, to } = options;
  const bucketSeconds = Math.max(options.bucketSeconds ?? defaultBucketSeconds(from, to), Math.ceil((to.getTime() - from.getTime()) / 1000 / MAX_BUCKETS));
  const nodes = await db.node.findMany({ where: { clusterId: cluster.id }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  const nodeIds = nodes.map((n) => n.id);

  const firstBucket = Math.floor(from.getTime() / 1000 / bucketSeconds) * bucketSeconds;
  const bucketCount = Math.max(1, Math.floor((to.getTime() / 1000 - firstBucket) / bucketSeconds) + 1);
  const buckets = Array.from({ length: bucketCount }, (_, i) => new Date((firstBucket + i * bucketSeconds) * 1000));

  const [rows, configured] = await Promise.all([
    nodeIds.length === 0 ? [] : trafficRows(db, nodeIds, servicePort, from, to, bucketSeconds),
    configuredShares(db, nodeIds, servicePort, options.family ?? "ipv4", to),
  ]);

  const perNode = new Map<number, Map<string, number[]>>();
  for (const row of rows) {
    const byEndpoint = perNode.get(row.nodeId) ?? new Map<string, number[]>();
    perNode.set(row.nodeId, byEndpoint);
    const series = byEndpoint.get(row.endpoint) ?? new Array<number>(bucketCount).fill(0);
    byEndpoint.set(row.endpoint, series);
    const index = Math.round((row.bucket - firstBucket) / bucketSeconds);
    if (index >= 0 && index < bucketCount) series[index] = (series[index] as number) + row.connections;
  }

  const nodeViews: NodeTrafficView[] = [];
  for (const node of nodes) {
    const shares = configured.get(node.id);
    const traffic = perNode.get(node.id);
    if (!shares && !traffic) continue;
    const endpoints = new Set([...(shares?.keys() ?? []), ...(traffic?.keys() ?? [])]);
    const views = [...endpoints].sort().map((endpoint): EndpointTrafficView => {
      const series = traffic?.get(endpoint) ?? new Array<number>(bucketCount).fill(0);
      return { endpoint, configuredShare: shares?.get(endpoint) ?? null, newConnections: sum(series), observedShare: null, series };
    });
    const total = sum(views.map((v) => v.newConnections));
    for (const v of views) v.observedShare = total > 0 ? v.newConnections / total : null;
    nodeViews.push({ node: node.name, newConnections: total, endpoints: views });
  }
  return { cluster: cluster.name, servicePort, from, to, bucketSeconds, buckets, overall: overallOf(nodeViews, bucketCount), nodes: nodeViews };
}

/** How far before a range a counter window may start and still be counted in it (see the module comment). */
const LONGEST_WINDOW_MS = 86_400_000;

async function trafficRows(db: Db, nodeIds: number[], servicePort: string, from: Date, to: Date, bucketSeconds: number) {
  const bucket = bucketStart(db, "windowEnd", bucketSeconds);
  const earliestStart = new Date(from.getTime() - LONGEST_WINDOW_MS);
  const rows = await db.$queryRaw<{ nodeId: number; endpoint: string; bucket: bigint | number; connections: bigint | number }[]>`
    SELECT "nodeId", "endpoint", ${bucket} AS "bucket", SUM("newConnections") AS "connections"
    FROM "EndpointTraffic"
    WHERE "servicePort" = ${servicePort} AND "windowStart" >= ${earliestStart} AND "windowStart" <= ${to}
      AND "windowEnd" >= ${from} AND "windowEnd" <= ${to}
      AND "nodeId" IN (${Prisma.join(nodeIds)})
    GROUP BY 1, 2, 3`;
  return rows.map((r) => ({ nodeId: Number(r.nodeId), endpoint: r.endpoint, bucket: Number(r.bucket), connections: Number(r.connections) }));
}

/** Per node, endpoint → configured share of the port in the node's rules as of `at`. */
async function configuredShares(
  db: Db,
  nodeIds: number[],
  servicePort: string,
  family: AddressFamily,
  at: Date,
): Promise<Map<number, Map<string, number>>> {
  const snapshots = await snapshotsAt(db, nodeIds, family, at);
  const result = new Map<number, Map<string, number>>();
  for (const [nodeId, snapshot] of snapshots) {
    const model = await readRulesetModel(db, snapshot.rulesetDigest);
    const port = model?.servicePorts.find((p: ServicePortModel) => p.name === servicePort);
    if (!port) continue;
    // Cluster-wide balancing: new connections of every path but the Local-policy external one go through KUBE-SVC.
    const cluster = port.endpoints.filter((e) => e.via === "cluster");
    result.set(nodeId, new Map((cluster.length > 0 ? cluster : port.endpoints).map((e) => [e.address, e.share])));
  }
  return result;
}

function overallOf(nodes: NodeTrafficView[], bucketCount: number): EndpointTraffic["overall"] {
  const total = sum(nodes.map((n) => n.newConnections));
  const byEndpoint = new Map<string, { series: number[]; weightedShare: number; shareSum: number; shareCount: number }>();
  for (const node of nodes) {
    for (const e of node.endpoints) {
      const entry = byEndpoint.get(e.endpoint) ?? { series: new Array<number>(bucketCount).fill(0), weightedShare: 0, shareSum: 0, shareCount: 0 };
      byEndpoint.set(e.endpoint, entry);
      e.series.forEach((v, i) => (entry.series[i] = (entry.series[i] as number) + v));
      entry.weightedShare += (e.configuredShare ?? 0) * node.newConnections;
      entry.shareSum += e.configuredShare ?? 0;
      entry.shareCount++;
    }
  }
  const endpoints = [...byEndpoint.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([endpoint, entry]) => {
      const newConnections = sum(entry.series);
      return {
        endpoint,
        // Without traffic there is nothing to weight by; the plain mean of the nodes' shares is what they configure.
        configuredShare: total > 0 ? entry.weightedShare / total : entry.shareCount > 0 ? entry.shareSum / nodes.length : null,
        newConnections,
        observedShare: total > 0 ? newConnections / total : null,
        series: entry.series,
      };
    });
  return { newConnections: total, endpoints };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
