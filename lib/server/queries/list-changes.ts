/**
 * The change timeline: service-level changes (endpoints, weights, paths — derived once at ingest, so this is a plain
 * indexed read) newest first, filtered by service, node and time. Every filter combination walks one of
 * ServiceChange's indexes — (clusterId, servicePort, at), (nodeId, at) or (clusterId, at) — from the newest row and
 * stops at `limit`, so a service with 30 days of history costs what one page costs.
 */
import type { Db } from "../db";
import { linkChangeCauses, type ChangeCause } from "../kube-events/link-change-causes";
import { findCluster } from "./find-cluster";
import { notFound, type NotFound } from "./not-found";
import { servicePortSegment } from "./service-port-segment";

/** One change of the timeline. */
export interface ChangeView {
  id: number;
  at: Date;
  node: string;
  /** The snapshot in which the change first appeared on that node. */
  snapshotId: number;
  servicePort: string;
  /** `servicePort` as a URL path segment. */
  segment: string;
  /** `service-added`, `endpoint-added`, `endpoint-removed`, `weight-changed`, `path-added`, … (lib/diff). */
  kind: string;
  /** One line for people, when ingest recorded one. */
  summary: string | null;
  /** The change as lib/diff describes it (endpoint, shares, path, before/after). */
  detail: unknown;
  /**
   * How long after the first node of the cluster showed the same change (same port, kind, and endpoint or path) this
   * node did, looking back up to an hour; 0 for the first. A large value is a node whose kube-proxy lags behind.
   */
  delayMs: number;
  /**
   * The Pod or EndpointSlice event that caused an endpoint change (the latest event naming the endpoint's IP in the
   * ten minutes before it), with the node's delay after it; null when none is known or the kind is not linkable.
   */
  cause: ChangeCause | null;
}

export interface ListChangesOptions {
  /** A service port (`ns/name:port`), or a service (`ns/name`: all its ports). */
  service?: string;
  node?: string;
  kind?: string;
  from?: Date;
  to?: Date;
  /** Page size (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ChangeList {
  cluster: string;
  changes: ChangeView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** A page of changes of `clusterName` (see the module comment), or NotFound for an unknown cluster or node. */
export async function listChanges(db: Db, clusterName: string, options: ListChangesOptions = {}): Promise<ChangeList | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  let nodeId: number | undefined;
  if (options.node !== undefined) {
    const node = await db.node.findUnique({ where: { clusterId_name: { clusterId: cluster.id, name: options.node } }, select: { id: true } });
    if (!node) return notFound("node", options.node, `unknown node "${options.node}" in cluster "${cluster.name}"`);
    nodeId = node.id;
  }
  const limit = options.limit ?? 100;
  const cursor = options.cursor ? parseCursor(options.cursor) : null;
  const rows = await db.serviceChange.findMany({
    where: {
      clusterId: cluster.id,
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(options.kind ? { kind: options.kind } : {}),
      ...serviceFilter(options.service),
      at: { ...(options.from ? { gte: options.from } : {}), ...(options.to ? { lte: options.to } : {}) },
      ...(cursor ? { OR: [{ at: { lt: cursor.at } }, { at: cursor.at, id: { lt: cursor.id } }] } : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: limit + 1,
    include: { node: { select: { name: true } } },
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const changes = page.map((row): ChangeView => ({
    id: row.id,
    at: row.at,
    node: row.node.name,
    snapshotId: row.snapshotId,
    servicePort: row.servicePort,
    segment: servicePortSegment(row.servicePort),
    kind: row.kind,
    summary: summaryOf(row.detail),
    detail: row.detail,
    delayMs: 0,
    cause: null,
  }));
  await fillDelays(db, cluster.id, changes);
  const linked = await linkChangeCauses(db, page);
  linked.forEach(({ cause }, i) => ((changes[i] as ChangeView).cause = cause));
  return {
    cluster: cluster.name,
    changes,
    nextCursor: rows.length > limit && last ? `${last.at.toISOString()}_${last.id}` : null,
  };
}

/**
 * `ns/name:port` matches that port; `ns/name` matches the unnamed port and every `ns/name:…` port. The prefix
 * test is LIKE-based on both databases; names are lower-case DNS labels, so SQLite's case-insensitive LIKE is exact.
 */
function serviceFilter(service: string | undefined) {
  if (!service) return {};
  if (service.includes(":")) return { servicePort: service };
  return { OR: [{ servicePort: service }, { servicePort: { startsWith: `${service}:` } }] };
}

function summaryOf(detail: unknown): string | null {
  if (typeof detail === "object" && detail !== null && "summary" in detail) {
    const summary = (detail as { summary: unknown }).summary;
    if (typeof summary === "string") return summary;
  }
  return null;
}

/** How far back the first node's occurrence of a change is looked for. */
const DELAY_WINDOW_MS = 3_600_000;

/** What makes two nodes' changes "the same change": port, kind and the endpoint or path it concerns. */
function sameChangeKey(change: { servicePort: string; kind: string; detail: unknown }): string {
  const detail = (change.detail ?? {}) as { endpoint?: { address?: string }; path?: { kind?: string; destination?: string } };
  return [change.servicePort, change.kind, detail.endpoint?.address ?? "", detail.path?.kind ?? "", detail.path?.destination ?? ""].join(" ");
}

/**
 * Each change's delay after the first node that showed it. The candidates are the same ports' changes of the same
 * kinds in the hour before the page — one more read of the (clusterId, servicePort, at) index, whatever the filters
 * of the page (a page of one node's changes still measures them against the others).
 */
async function fillDelays(db: Db, clusterId: number, changes: ChangeView[]): Promise<void> {
  if (changes.length === 0) return;
  const times = changes.map((c) => c.at.getTime());
  const earlier = await db.serviceChange.findMany({
    where: {
      clusterId,
      servicePort: { in: [...new Set(changes.map((c) => c.servicePort))] },
      kind: { in: [...new Set(changes.map((c) => c.kind))] },
      at: { gte: new Date(Math.min(...times) - DELAY_WINDOW_MS), lte: new Date(Math.max(...times)) },
    },
    select: { servicePort: true, kind: true, detail: true, at: true },
  });
  const occurrences = new Map<string, number[]>();
  for (const row of earlier) {
    const key = sameChangeKey(row);
    const list = occurrences.get(key) ?? [];
    list.push(row.at.getTime());
    occurrences.set(key, list);
  }
  for (const change of changes) {
    const at = change.at.getTime();
    const first = Math.min(at, ...(occurrences.get(sameChangeKey(change)) ?? []).filter((t) => t <= at && t >= at - DELAY_WINDOW_MS));
    change.delayMs = at - first;
  }
}

/** `2026-01-05T10:00:00.000Z_123` → its time and id; a malformed cursor starts from the newest. */
function parseCursor(cursor: string): { at: Date; id: number } | null {
  const match = /^(.+)_(\d+)$/.exec(cursor);
  if (!match) return null;
  const at = new Date(match[1] as string);
  return Number.isNaN(at.getTime()) ? null : { at, id: Number(match[2]) };
}
