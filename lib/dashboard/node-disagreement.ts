/**
 * Why a node disagrees with the majority about a service port, in words: the differences an operator acts on
 * (endpoints a lagging kube-proxy still has or lacks, node ports, addresses, policies). Mirrors what
 * service-port-agreement.ts compares; node-local endpoints (KUBE-SVL) are left out there and here.
 */
import type { ServicePortOnNode } from "@/lib/server/queries/list-service-ports";

/** Differences of `node` from `reference` (a node of the majority); empty when none of these differ. */
export function describeDisagreement(reference: ServicePortOnNode, node: ServicePortOnNode): string[] {
  if (!node.present) return ["has no rules for this port"];
  const notes: string[] = [];
  const clusterEndpoints = (n: ServicePortOnNode) => n.endpoints.filter((e) => e.via === "cluster").map((e) => e.address);
  const extra = difference(clusterEndpoints(node), clusterEndpoints(reference));
  const missing = difference(clusterEndpoints(reference), clusterEndpoints(node));
  if (extra.length) notes.push(`still balances to ${extra.join(", ")}`);
  if (missing.length) notes.push(`lacks endpoint${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const ports = (n: ServicePortOnNode) => n.nodePorts.map(String);
  const extraPorts = difference(ports(node), ports(reference));
  const missingPorts = difference(ports(reference), ports(node));
  if (extraPorts.length) notes.push(`still opens node port ${extraPorts.join(", ")}`);
  if (missingPorts.length) notes.push(`lacks node port ${missingPorts.join(", ")}`);
  for (const field of ["clusterIPs", "externalIPs", "loadBalancerIPs"] as const) {
    const gone = difference(reference[field], node[field]);
    const kept = difference(node[field], reference[field]);
    if (gone.length || kept.length) notes.push(`${field}: ${node[field].join(", ") || "none"} instead of ${reference[field].join(", ") || "none"}`);
  }
  if (node.externalTrafficPolicy !== reference.externalTrafficPolicy) notes.push(`externalTrafficPolicy ${node.externalTrafficPolicy}`);
  if (node.internalTrafficPolicy !== reference.internalTrafficPolicy) notes.push(`internalTrafficPolicy ${node.internalTrafficPolicy}`);
  if (node.affinitySeconds !== reference.affinitySeconds) notes.push(`session affinity ${node.affinitySeconds ?? "off"}`);
  if (notes.length === 0) {
    // Same endpoints but other shares or chains: the weights or a chain name differ.
    notes.push("balances with other weights or chains");
  }
  return notes;
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return [...new Set(a)].filter((x) => !other.has(x));
}
