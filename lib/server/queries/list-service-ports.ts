/**
 * Service ports of a cluster as every node programs them: per node the balancing chain, cluster IPs, node ports and
 * endpoints with their configured shares and counted connections, and whether the nodes agree.
 *
 * Models come from RulesetModel (stored JSON, cached by digest), never from re-parsing rules; counters are read only
 * for the page of service ports returned.
 */
import type { EndpointModel, ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { balancingRuleKey, readBalancingCounters, type BalancingRuleRef } from "./read-balancing-counters";
import { readRulesetModel } from "./read-ruleset-model";
import { majorityOf, servicePortFingerprint, type Agreement } from "./service-port-agreement";
import { servicePortSegment } from "./service-port-segment";
import { snapshotsAt, type AddressFamily, type SnapshotRow } from "./snapshot-at";

/** One endpoint as one node balances to it. */
export interface EndpointView {
  /** `ip:port` (`[ip]:port` for IPv6). */
  address: string;
  sepChain: string;
  /** Configured share of new connections, from the probability ladder (1/3 each for three endpoints). */
  share: number;
  probabilityText: string | null;
  /** `cluster` (KUBE-SVC) or `local` (KUBE-SVL, node-local endpoints). */
  via: "cluster" | "local";
  /** New connections the node sent to the endpoint: the balancing rule's packet counter at the node's latest capture. */
  packets: number;
}

/** One service port on one node. */
export interface ServicePortOnNode {
  node: string;
  snapshotId: number;
  /** Last capture that confirmed the node's rules. */
  lastSeen: Date;
  /** False when the node's rules lack the service port (not yet synced, or already removed). */
  present: boolean;
  /** True when the node is in the majority (see service-port-agreement.ts). */
  agrees: boolean;
  svcChain: string | null;
  svlChain: string | null;
  extChain: string | null;
  fwChain: string | null;
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  nodePorts: number[];
  externalTrafficPolicy: "Cluster" | "Local" | null;
  internalTrafficPolicy: "Cluster" | "Local" | null;
  affinitySeconds: number | null;
  endpoints: EndpointView[];
  /** Sum of the endpoints' packets. */
  packets: number;
}

/** One service port across the cluster. */
export interface ServicePortView {
  /** `namespace/name:port` as kube-proxy writes it. */
  name: string;
  /** The name as a URL path segment (`namespace~name:port`), for `/services/{servicePort}`. */
  segment: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: string;
  agreement: Agreement;
  nodes: ServicePortOnNode[];
}

export interface ServicePortList {
  cluster: string;
  family: AddressFamily;
  /** Service ports matching the filter, before paging. */
  total: number;
  servicePorts: ServicePortView[];
}

export interface ListServicePortsOptions {
  /** Case-insensitive: part of the name, or the start of a cluster/external/LB IP, a node port or an endpoint address. */
  q?: string;
  /** Exactly these service port names. */
  names?: readonly string[];
  protocol?: string;
  family?: AddressFamily;
  /** The nodes' rules as of this time (default: now). */
  at?: Date;
  /** Paging over the name-sorted list (default 100 from 0). */
  limit?: number;
  offset?: number;
}

/** One service port (name + protocol) as each node's model has it. */
export interface PortAcrossNodes {
  name: string;
  protocol: string;
  byNode: Map<number, ServicePortModel>;
}

/** Every node's current state of a cluster's service ports, gathered port by port. */
export interface PortsAcrossNodes {
  /** The cluster's nodes that have a snapshot at the time asked for. */
  reporting: { id: number; name: string }[];
  snapshots: Map<number, SnapshotRow>;
  models: Map<string, Awaited<ReturnType<typeof readRulesetModel>>>;
  ports: Map<string, PortAcrossNodes>;
}

/**
 * The service ports the nodes of cluster `clusterId` program at `at` (default: now), each with its model per node;
 * `keep` drops ports while collecting. The list and the search views both start here.
 */
export async function collectPortsAcrossNodes(
  db: Db,
  clusterId: number,
  family: AddressFamily,
  at: Date | undefined,
  keep: (port: ServicePortModel) => boolean = () => true,
): Promise<PortsAcrossNodes> {
  const nodes = await db.node.findMany({ where: { clusterId }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  const snapshots = await snapshotsAt(db, nodes.map((n) => n.id), family, at);
  const reporting = nodes.filter((n) => snapshots.has(n.id));
  const models = new Map(
    await Promise.all(
      [...new Set([...snapshots.values()].map((s) => s.rulesetDigest))].map(async (d) => [d, await readRulesetModel(db, d)] as const),
    ),
  );
  const ports = new Map<string, PortAcrossNodes>();
  for (const node of reporting) {
    const model = models.get((snapshots.get(node.id) as SnapshotRow).rulesetDigest);
    for (const port of model?.servicePorts ?? []) {
      if (!keep(port)) continue;
      const key = `${port.name}\u0000${port.protocol}`;
      let entry = ports.get(key);
      if (!entry) {
        entry = { name: port.name, protocol: port.protocol, byNode: new Map() };
        ports.set(key, entry);
      }
      entry.byNode.set(node.id, port);
    }
  }
  return { reporting, snapshots, models, ports };
}

/** Service ports of `clusterName` (see the module comment), or NotFound. */
export async function listServicePorts(
  db: Db,
  clusterName: string,
  options: ListServicePortsOptions = {},
): Promise<ServicePortList | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const family = options.family ?? "ipv4";
  const names = options.names ? new Set(options.names) : null;
  // Filters on the key are applied while collecting: a service page reads one port out of thousands.
  const { reporting, snapshots, models, ports } = await collectPortsAcrossNodes(db, cluster.id, family, options.at, (port) =>
    (!names || names.has(port.name)) && (!options.protocol || port.protocol === options.protocol),
  );

  const matching = [...ports.values()]
    .filter(matcher(options))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0));
  const offset = options.offset ?? 0;
  const page = matching.slice(offset, offset + (options.limit ?? 100));

  const counters = new Map(
    await Promise.all(
      reporting.map(async (node) => {
        const snapshot = snapshots.get(node.id) as SnapshotRow;
        const refs = page.flatMap((p) => balancingRefs(p.byNode.get(node.id)));
        const mode = models.get(snapshot.rulesetDigest)?.mode ?? "iptables";
        const target = { nodeId: node.id, family, mode, rulesetDigest: snapshot.rulesetDigest, snapshotFirstSeen: snapshot.firstSeen, at: options.at ?? snapshot.lastSeen };
        return [node.id, await readBalancingCounters(db, target, refs)] as const;
      }),
    ),
  );

  return {
    cluster: cluster.name,
    family,
    total: matching.length,
    servicePorts: page.map((port) => {
      const fingerprints = reporting.map((n) => ({
        node: n.name,
        fingerprint: servicePortFingerprint(port.byNode.get(n.id) ?? null),
        since: (snapshots.get(n.id) as SnapshotRow).firstSeen,
      }));
      const { agreement, agreeing } = majorityOf(fingerprints);
      const any = [...port.byNode.values()][0] as ServicePortModel;
      return {
        name: port.name,
        segment: servicePortSegment(port.name),
        namespace: any.namespace,
        service: any.service,
        portName: any.portName,
        protocol: port.protocol,
        agreement,
        nodes: reporting.map((n) =>
          nodeView(n.name, snapshots.get(n.id) as SnapshotRow, port.byNode.get(n.id) ?? null, agreeing.has(n.name), counters.get(n.id)),
        ),
      };
    }),
  };
}

/** The `q` filter of the list (see ListServicePortsOptions.q); shared with searchServicePorts. */
export function matcher(options: Pick<ListServicePortsOptions, "q">): (port: PortAcrossNodes) => boolean {
  const q = options.q?.trim().toLowerCase() ?? "";
  return (port) => {
    if (q === "") return true;
    if (port.name.toLowerCase().includes(q)) return true;
    for (const model of port.byNode.values()) {
      const addresses = [...model.clusterIPs, ...model.externalIPs, ...model.loadBalancerIPs, ...model.endpoints.map((e) => e.address)];
      if (addresses.some((a) => a.toLowerCase().startsWith(q))) return true;
      if (model.nodePorts.some((p) => String(p) === q)) return true;
    }
    return false;
  };
}

/** The balancing rules of a port's endpoints: KUBE-SVC for cluster-wide ones, KUBE-SVL for node-local ones. */
function balancingRefs(port: ServicePortModel | undefined): BalancingRuleRef[] {
  if (!port) return [];
  const refs: BalancingRuleRef[] = [];
  for (const e of port.endpoints) {
    const chain = e.via === "local" ? port.svlChain : port.svcChain;
    if (chain) refs.push({ chain, sepChain: e.sepChain });
  }
  return refs;
}

function nodeView(
  node: string,
  snapshot: SnapshotRow,
  port: ServicePortModel | null,
  agrees: boolean,
  counters: Map<string, { packets: number }> | undefined,
): ServicePortOnNode {
  const endpoints = (port?.endpoints ?? []).map((e: EndpointModel): EndpointView => {
    const chain = (e.via === "local" ? port?.svlChain : port?.svcChain) ?? "";
    return {
      address: e.address,
      sepChain: e.sepChain,
      share: e.share,
      probabilityText: e.probabilityText,
      via: e.via,
      packets: counters?.get(balancingRuleKey(chain, e.sepChain))?.packets ?? 0,
    };
  });
  return {
    node,
    snapshotId: snapshot.id,
    lastSeen: snapshot.lastSeen,
    present: port !== null,
    agrees,
    svcChain: port?.svcChain ?? null,
    svlChain: port?.svlChain ?? null,
    extChain: port?.extChain ?? null,
    fwChain: port?.fwChain ?? null,
    clusterIPs: port?.clusterIPs ?? [],
    externalIPs: port?.externalIPs ?? [],
    loadBalancerIPs: port?.loadBalancerIPs ?? [],
    nodePorts: port?.nodePorts ?? [],
    externalTrafficPolicy: port?.externalTrafficPolicy ?? null,
    internalTrafficPolicy: port?.internalTrafficPolicy ?? null,
    affinitySeconds: port?.affinitySeconds ?? null,
    endpoints,
    packets: endpoints.reduce((sum, e) => sum + e.packets, 0),
  };
}
