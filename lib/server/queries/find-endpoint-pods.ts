/**
 * Which pod an endpoint address belongs to. The rules know only `ip:port`; kube-inventory's Pod events name the pod
 * behind an IP and the node it was scheduled on. Pod IPs are reused after a pod goes away, so the pod of an address
 * is the one of the latest Pod event naming the IP at or before the moment asked about.
 */
import type { Db } from "../db";
import { endpointIp } from "../kube-events/link-change-causes";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";

/** The pod behind an endpoint, as its latest Pod event describes it. */
export interface EndpointPod {
  namespace: string;
  name: string;
  /** `spec.nodeName`; null when the event did not carry it. */
  node: string | null;
  /** Type of that latest event: `DELETED` means the rules point at a pod that is gone. */
  lastEvent: string;
  lastEventAt: Date;
}

/** Endpoint address → its pod, for the addresses a pod is known for (others are absent). */
export async function findEndpointPods(
  db: Db,
  clusterName: string,
  addresses: readonly string[],
  at: Date = new Date(),
): Promise<Map<string, EndpointPod> | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const pods = new Map<string, EndpointPod>();
  for (const address of new Set(addresses)) {
    const hit = await db.kubeEventIp.findFirst({
      where: { ip: endpointIp(address), at: { lte: at }, event: { clusterId: cluster.id, kind: "Pod" } },
      orderBy: [{ at: "desc" }, { eventId: "desc" }],
      include: { event: { select: { namespace: true, name: true, type: true, at: true, object: true } } },
    });
    if (!hit) continue;
    pods.set(address, {
      namespace: hit.event.namespace,
      name: hit.event.name,
      node: nodeNameOf(hit.event.object),
      lastEvent: hit.event.type,
      lastEventAt: hit.event.at,
    });
  }
  return pods;
}

function nodeNameOf(object: unknown): string | null {
  const nodeName = (object as { spec?: { nodeName?: unknown } } | null)?.spec?.nodeName;
  return typeof nodeName === "string" && nodeName !== "" ? nodeName : null;
}
