/**
 * Do the nodes agree on a service port? Every node's kube-proxy programs the same Service from the same
 * EndpointSlices, so once all have synced their models of it are equal — except for what is node-local by design
 * and what is not a setting at all:
 * - counters (packets, bytes) differ on every node;
 * - KUBE-SVL chains hold only the node's own endpoints (traffic policy Local), and a node without local endpoints
 *   drops external traffic ("has no local endpoints"), so node-local endpoints and that verdict are left out;
 * - endpoint order is not a setting (shares carry the weights), so endpoints are compared as a set.
 * A node whose kube-proxy lags (missed an endpoint update, still points at a dead pod) then stands out.
 */
import type { ServicePortModel } from "../../kube-proxy/types";

/** How many of the nodes that report agree with the majority. */
export interface Agreement {
  agreeing: number;
  nodes: number;
}

/** Shares are derived from 11-decimal probabilities; rounding to 1e-6 makes equal weights compare equal. */
const roundShare = (share: number) => Math.round(share * 1e6) / 1e6;

const sorted = <T>(values: readonly T[]) => [...values].sort();

/** A string equal for two nodes exactly when their models of the port agree (see the module comment). */
export function servicePortFingerprint(port: ServicePortModel | null): string {
  if (!port) return "absent";
  return JSON.stringify({
    svc: port.svcChain,
    svl: port.svlChain,
    ext: port.extChain,
    fw: port.fwChain,
    clusterIPs: sorted(port.clusterIPs),
    externalIPs: sorted(port.externalIPs),
    loadBalancerIPs: sorted(port.loadBalancerIPs),
    nodePorts: sorted(port.nodePorts.map(String)),
    endpoints: port.endpoints
      .filter((e) => e.via === "cluster")
      .map((e) => `${e.address} ${e.sepChain} ${roundShare(e.share)}`)
      .sort(),
    paths: port.paths.map((p) => `${p.kind} ${p.destination} ${p.chains.join(">")} ${p.masquerade}`).sort(),
    affinity: port.affinitySeconds,
    policies: [port.externalTrafficPolicy, port.internalTrafficPolicy],
    noEndpoints: port.noEndpoints
      .filter((v) => !v.reason.includes("no local endpoints"))
      .map((v) => `${v.action} ${v.reason} ${v.destination}`)
      .sort(),
  });
}

/** One node's view, as agreement needs it. */
export interface NodeFingerprint {
  node: string;
  fingerprint: string;
  /** When the node's current rules began; breaks ties in favour of the newest state. */
  since: Date;
}

/**
 * The majority: the largest group of nodes with equal fingerprints. On a tie the group holding the most recently
 * changed node wins — kube-proxy converges forward, so the newest state is the one the others are catching up to.
 * Returns the agreement counts and the set of nodes in the majority.
 */
export function majorityOf(nodes: readonly NodeFingerprint[]): { agreement: Agreement; agreeing: Set<string> } {
  const groups = new Map<string, { members: string[]; newest: number }>();
  for (const n of nodes) {
    const group = groups.get(n.fingerprint) ?? { members: [], newest: -Infinity };
    group.members.push(n.node);
    group.newest = Math.max(group.newest, n.since.getTime());
    groups.set(n.fingerprint, group);
  }
  let best: { members: string[]; newest: number } | null = null;
  for (const group of groups.values()) {
    if (!best || group.members.length > best.members.length || (group.members.length === best.members.length && group.newest > best.newest)) {
      best = group;
    }
  }
  return {
    agreement: { agreeing: best?.members.length ?? 0, nodes: nodes.length },
    agreeing: new Set(best?.members ?? []),
  };
}
