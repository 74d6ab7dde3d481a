/**
 * The services list: service ports filtered by text, by how traffic reaches them (ClusterIP, NodePort, …) and by
 * whether the nodes disagree, each with the time it last changed.
 *
 * Filtering needs only the nodes' models (cached by digest) and the agreement fingerprints, so it runs over every
 * port; the expensive part of a listing — counters of the balancing rules — is read by listServicePorts for the
 * returned page only.
 */
import type { ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { findCluster } from "./find-cluster";
import { collectPortsAcrossNodes, listServicePorts, matcher, type PortAcrossNodes, type ServicePortView } from "./list-service-ports";
import type { NotFound } from "./not-found";
import { majorityOf, servicePortFingerprint } from "./service-port-agreement";
import type { AddressFamily } from "./snapshot-at";

/**
 * How traffic reaches a service port, named after the Service types that open each way in: a cluster IP, a node
 * port, a load-balancer ingress IP, an external IP. A NodePort Service has both a cluster IP and a node port.
 */
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalIP"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** One row of the services list. */
export interface ServicePortListing extends ServicePortView {
  /** The ways in any node programs, in SERVICE_TYPES order. */
  types: ServiceType[];
  /** The newest service-level change of the port on any node (ServiceChange), or null when none is recorded. */
  lastChangeAt: Date | null;
}

export interface SearchServicePortsOptions {
  /** As listServicePorts' `q`: part of the name, the start of an address, a node port. */
  q?: string;
  /** Only ports some node reaches this way. */
  type?: ServiceType;
  /** Only ports whose nodes do not all agree (a node lags, or lacks the port). */
  disagreeing?: boolean;
  family?: AddressFamily;
  /** The nodes' rules as of this time (default: now). */
  at?: Date;
  /** Paging over the name-sorted, filtered list (default 100 from 0). */
  limit?: number;
  offset?: number;
}

export interface ServicePortSearch {
  cluster: string;
  family: AddressFamily;
  /** Ports matching the filters, before paging. */
  total: number;
  servicePorts: ServicePortListing[];
}

/** The ways in `port` opens (see SERVICE_TYPES). */
export function servicePortTypes(port: Pick<ServicePortModel, "clusterIPs" | "nodePorts" | "loadBalancerIPs" | "externalIPs">): ServiceType[] {
  const types: ServiceType[] = [];
  if (port.clusterIPs.length > 0) types.push("ClusterIP");
  if (port.nodePorts.length > 0) types.push("NodePort");
  if (port.loadBalancerIPs.length > 0) types.push("LoadBalancer");
  if (port.externalIPs.length > 0) types.push("ExternalIP");
  return types;
}

/** The filtered page of `clusterName`'s service ports (see the module comment), or NotFound. */
export async function searchServicePorts(
  db: Db,
  clusterName: string,
  options: SearchServicePortsOptions = {},
): Promise<ServicePortSearch | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const family = options.family ?? "ipv4";
  const { reporting, snapshots, ports } = await collectPortsAcrossNodes(db, cluster.id, family, options.at);

  const matchesText = matcher({ q: options.q });
  const typesOf = (port: PortAcrossNodes) => unionTypes([...port.byNode.values()].map(servicePortTypes));
  const disagrees = (port: PortAcrossNodes) => {
    const fingerprints = reporting.map((n) => ({
      node: n.name,
      fingerprint: servicePortFingerprint(port.byNode.get(n.id) ?? null),
      since: snapshots.get(n.id)!.firstSeen,
    }));
    const { agreement } = majorityOf(fingerprints);
    return agreement.agreeing < agreement.nodes;
  };
  const matching = [...ports.values()]
    .filter((port) => matchesText(port) && (!options.type || typesOf(port).includes(options.type)) && (!options.disagreeing || disagrees(port)))
    .sort((a, b) => compare(a.name, b.name) || compare(a.protocol, b.protocol));
  const offset = options.offset ?? 0;
  const page = matching.slice(offset, offset + (options.limit ?? 100));
  if (page.length === 0) return { cluster: cluster.name, family, total: matching.length, servicePorts: [] };

  const names = [...new Set(page.map((p) => p.name))];
  const [details, lastChanges] = await Promise.all([
    listServicePorts(db, cluster.name, { names, family, at: options.at, limit: names.length * 4 }),
    db.serviceChange.groupBy({
      by: ["servicePort"],
      where: { clusterId: cluster.id, servicePort: { in: names }, ...(options.at ? { at: { lte: options.at } } : {}) },
      _max: { at: true },
    }),
  ]);
  if ("notFound" in details) return details;
  const lastChangeOf = new Map(lastChanges.map((row) => [row.servicePort, row._max.at ?? null]));
  const byKey = new Map(details.servicePorts.map((view) => [`${view.name}\u0000${view.protocol}`, view]));
  const servicePorts = page.flatMap((port): ServicePortListing[] => {
    const view = byKey.get(`${port.name}\u0000${port.protocol}`);
    return view ? [{ ...view, types: typesOf(port), lastChangeAt: lastChangeOf.get(port.name) ?? null }] : [];
  });
  return { cluster: cluster.name, family, total: matching.length, servicePorts };
}

function unionTypes(lists: readonly ServiceType[][]): ServiceType[] {
  const present = new Set(lists.flat());
  return SERVICE_TYPES.filter((t) => present.has(t));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
