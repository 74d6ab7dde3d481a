/**
 * A pod's network the way kindnet's ptp plugin builds it: the pod's own namespace with `eth0`, a veth whose node end
 * carries the node's gateway address (`10.10.N.1`), a /32 route per pod on the node, and in the pod a default route
 * via that gateway.
 *
 * Why not one pod bridge per node: replies between two pods of the same bridge would be switched, not routed. With
 * br_netfilter loaded they pass the node's netfilter hooks only as bridged frames, and without it they bypass them
 * entirely — either way a reply from a same-node endpoint can miss conntrack's reverse DNAT and reach the client
 * with the endpoint's address instead of the service's (the reason kube-proxy wants bridge-nf-call-iptables, and
 * why kindnet routes every pod). Point-to-point veths make every pod packet routed through the node's stack.
 */
import { createNetns } from "../netns/netns";
import { ipIn } from "./node-network";
import type { LabNode } from "./topology";

/** Creates pod namespace `podNs` with address `ip` on `node` (namespace `nodeNs`); the node end is named `hostIf`. */
export async function createPodNetwork(podNs: string, ip: string, node: LabNode, nodeNs: string, hostIf: string): Promise<void> {
  await createNetns(podNs);
  await ipIn(nodeNs, ["link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", podNs]);
  await ipIn(nodeNs, ["addr", "add", `${node.gateway}/32`, "dev", hostIf]);
  await ipIn(nodeNs, ["link", "set", hostIf, "up"]);
  await ipIn(nodeNs, ["route", "add", `${ip}/32`, "dev", hostIf, "scope", "link", "src", node.gateway]);
  // The /24 as the pod sees it (kindnet's `ip a` shows 10.10.N.k/24), without its on-link route: even same-node
  // pods are reached through the gateway.
  await ipIn(podNs, ["addr", "add", `${ip}/24`, "dev", "eth0", "noprefixroute"]);
  await ipIn(podNs, ["link", "set", "eth0", "up"]);
  await ipIn(podNs, ["route", "add", node.gateway, "dev", "eth0", "scope", "link"]);
  await ipIn(podNs, ["route", "add", "default", "via", node.gateway, "dev", "eth0"]);
}
