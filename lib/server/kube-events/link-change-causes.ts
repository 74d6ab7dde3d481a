/**
 * Which Kubernetes event caused a service change, and how long the node took to follow (a query-time function for
 * the read API; nothing is stored, so events that arrive after the capture still link).
 *
 * An endpoint added or removed at time t on a node names an address (`10.244.1.5:80`). The cause is the latest Pod
 * event naming that IP at or before t, within a window (default 10 minutes); failing that, the latest EndpointSlice
 * event naming it. A pod that became ready (or went away) updates its EndpointSlice, kube-proxy syncs, the node's
 * rules change: the pod is what an operator did and recognizes, and the delay from it covers the whole chain — the
 * slice is only its echo, milliseconds later. The delay t − event.at is the node's propagation delay as natwatch saw
 * it — an upper bound, since t is when the capture noticed the change.
 */
import type { Db } from "../db";
import { normalizeIp } from "./event-ips";

/** The fields of a ServiceChange row this needs. */
export interface ChangeToLink {
  id: number;
  clusterId: number;
  kind: string;
  at: Date;
  /** The lib/diff ServiceChange JSON (`detail` of the row). */
  detail: unknown;
}

/** The event a change is linked to. */
export interface ChangeCause {
  eventId: number;
  kind: string;
  namespace: string;
  name: string;
  type: string;
  resourceVersion: string;
  at: Date;
  /** The IP that ties the event to the change. */
  ip: string;
  /** change.at − event.at, in milliseconds (≥ 0). */
  delayMs: number;
}

/** One change with its cause, or null when no event in the window names its endpoint. */
export interface LinkedChange<C extends ChangeToLink = ChangeToLink> {
  change: C;
  cause: ChangeCause | null;
}

/** Default window before a change in which a cause is looked for. */
export const DEFAULT_CAUSE_WINDOW_MS = 10 * 60_000;

const LINKABLE = new Set(["endpoint-added", "endpoint-removed"]);

/** The IP of an endpoint address: `10.0.0.1:80` → `10.0.0.1`, `[fd00::1]:80` → `fd00::1`. */
export function endpointIp(address: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(address);
  if (v6) return normalizeIp(v6[1] as string);
  const v4 = /^(.+):\d+$/.exec(address);
  return normalizeIp(v4 ? (v4[1] as string) : address);
}

/** Links each endpoint change to its cause (see the module comment); other kinds of change get `cause: null`. */
export async function linkChangeCauses<C extends ChangeToLink>(
  db: Db,
  changes: readonly C[],
  options: { windowMs?: number } = {},
): Promise<LinkedChange<C>[]> {
  const windowMs = options.windowMs ?? DEFAULT_CAUSE_WINDOW_MS;
  const linked: LinkedChange<C>[] = [];
  for (const change of changes) {
    const address = (change.detail as { endpoint?: { address?: unknown } } | null)?.endpoint?.address;
    if (!LINKABLE.has(change.kind) || typeof address !== "string") {
      linked.push({ change, cause: null });
      continue;
    }
    const ip = endpointIp(address);
    const latest = (kind: "Pod" | "EndpointSlice") =>
      db.kubeEventIp.findFirst({
        where: {
          ip,
          at: { lte: change.at, gte: new Date(change.at.getTime() - windowMs) },
          event: { clusterId: change.clusterId, kind },
        },
        orderBy: [{ at: "desc" }, { eventId: "desc" }],
        include: { event: { select: { id: true, kind: true, namespace: true, name: true, type: true, resourceVersion: true, at: true } } },
      });
    const hit = (await latest("Pod")) ?? (await latest("EndpointSlice"));
    linked.push({
      change,
      cause: hit
        ? {
            eventId: hit.event.id,
            kind: hit.event.kind,
            namespace: hit.event.namespace,
            name: hit.event.name,
            type: hit.event.type,
            resourceVersion: hit.event.resourceVersion,
            at: hit.event.at,
            ip,
            delayMs: change.at.getTime() - hit.event.at.getTime(),
          }
        : null,
    });
  }
  return linked;
}
