/**
 * Where a node's traffic goes right now: the DNAT'd flows of its latest conntrack sample (as of `at`), grouped by
 * the service port the node's rules route each destination to (resolved at ingest), then by endpoint and state.
 * "Is the stuck node still sending to a dead pod?" is answered by an endpoint here that the rules no longer name.
 */
import type { Db } from "../db";
import { findNode } from "./find-cluster";
import type { NotFound } from "./not-found";
import { servicePortSegment } from "./service-port-segment";

/** Flows from the node to one endpoint of a service port. */
export interface EndpointFlows {
  endpoint: string;
  /** Conntrack entries by state (`ESTABLISHED`, `TIME_WAIT`, … ; `""` for UDP). */
  states: Record<string, number>;
  total: number;
}

/** Live flows of one service port (or of destinations no service port claims: `servicePort` null). */
export interface ServicePortFlows {
  servicePort: string | null;
  segment: string | null;
  protocol: string;
  /** Original destinations (VIP:port, or node address:node port) seen. */
  destinations: string[];
  total: number;
  endpoints: EndpointFlows[];
}

export interface LiveFlows {
  cluster: string;
  node: string;
  /** The sample the flows come from; null when the node never sent conntrack. */
  capturedAt: Date | null;
  servicePorts: ServicePortFlows[];
}

/** Live flows of `nodeName`, busiest service port first; or NotFound. */
export async function listLiveFlows(db: Db, clusterName: string, nodeName: string, options: { at?: Date } = {}): Promise<LiveFlows | NotFound> {
  const node = await findNode(db, clusterName, nodeName);
  if ("notFound" in node) return node;
  const sample = await db.conntrackSample.findFirst({
    where: { nodeId: node.id, ...(options.at ? { capturedAt: { lte: options.at } } : {}) },
    orderBy: { capturedAt: "desc" },
    select: { capturedAt: true },
  });
  const base = { cluster: node.cluster.name, node: node.name };
  if (!sample) return { ...base, capturedAt: null, servicePorts: [] };
  const rows = await db.flowAggregate.findMany({
    where: { nodeId: node.id, capturedAt: sample.capturedAt },
    select: { servicePort: true, protocol: true, destination: true, endpoint: true, state: true, count: true },
  });
  const groups = new Map<string, ServicePortFlows>();
  for (const row of rows) {
    const key = `${row.servicePort ?? ""} ${row.protocol}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        servicePort: row.servicePort,
        segment: row.servicePort ? servicePortSegment(row.servicePort) : null,
        protocol: row.protocol,
        destinations: [],
        total: 0,
        endpoints: [],
      };
      groups.set(key, group);
    }
    if (!group.destinations.includes(row.destination)) group.destinations.push(row.destination);
    let endpoint = group.endpoints.find((e) => e.endpoint === row.endpoint);
    if (!endpoint) group.endpoints.push((endpoint = { endpoint: row.endpoint, states: {}, total: 0 }));
    endpoint.states[row.state] = (endpoint.states[row.state] ?? 0) + row.count;
    endpoint.total += row.count;
    group.total += row.count;
  }
  const servicePorts = [...groups.values()]
    .map((g) => ({ ...g, destinations: g.destinations.sort(), endpoints: g.endpoints.sort((a, b) => b.total - a.total || a.endpoint.localeCompare(b.endpoint)) }))
    .sort((a, b) => b.total - a.total || (a.servicePort ?? "~").localeCompare(b.servicePort ?? "~"));
  return { ...base, capturedAt: sample.capturedAt, servicePorts };
}
