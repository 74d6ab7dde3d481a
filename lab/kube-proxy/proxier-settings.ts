/**
 * Node-wide settings of kube-proxy's iptables proxier, derived from `NodeConfig` the way `NewProxier` derives them
 * (pkg/proxy/iptables/proxier.go, pkg/proxy/util/nodeport_addresses.go).
 */
import { cidrContains, ipFamilyOf, isLoopback, normalizeCidr, normalizeIp } from "./ip-address";
import type { IpFamily, NodeConfig } from "./types";

/** nfacct counters kube-proxy ≥1.29 creates (metrics.IPTablesCTStateInvalidDroppedNFAcctCounter, …). */
export const NFACCT_CT_STATE_INVALID = "ct_state_invalid_dropped_pkts";
export const NFACCT_LOCALHOST_NODEPORTS = "localhost_nps_accepted_pkts";

/** Above this many endpoints kube-proxy stops writing per-endpoint comments (largeClusterEndpointsThreshold). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export interface ProxierSettings {
  family: IpFamily;
  masqueradeMark: string;
  masqueradeAll: boolean;
  /** Local-traffic detector CIDR, or null for the no-op detector. */
  podCIDR: string | null;
  /** After NewProxier's adjustments: false for IPv6 and when nodePortAddresses exclude loopback. */
  localhostNodePorts: boolean;
  nfacctCounters: Set<string>;
  conntrackTCPLiberal: boolean;
  masqueradeRandomFully: boolean;
  /** Primary node IP of the family (LoadBalancer source ranges that contain it also allow the LB IPs). */
  nodeIP: string | null;
  /** True when node ports are open on every local address (`-m addrtype --dst-type LOCAL`). */
  nodePortsMatchAll: boolean;
  /** When not matchAll: the local addresses inside `--nodeport-addresses`, one KUBE-NODEPORTS jump each. */
  nodePortIPs: string[];
  largeClusterMode: boolean;
}

const ZERO_CIDR: Record<IpFamily, string> = { ipv4: "0.0.0.0/0", ipv6: "::/0" };
const LOOPBACK: Record<IpFamily, string> = { ipv4: "127.0.0.1", ipv6: "::1" };

/** Derives the proxier settings; `totalEndpoints` decides large cluster mode when the config leaves it on `auto`. */
export function proxierSettings(node: NodeConfig, totalEndpoints: number): ProxierSettings {
  const family = node.family ?? "ipv4";
  const nodeIPs = node.nodeIPs.map(normalizeIp).filter((ip): ip is string => ip !== null && ipFamilyOf(ip) === family);

  // NewNodePortAddresses: keep the family's CIDRs ("primary" means the primary node IP); none means match-all.
  let cidrs: string[] = [];
  for (const entry of node.nodePortAddresses ?? []) {
    if (entry === "primary") {
      if (nodeIPs[0]) cidrs.push(`${nodeIPs[0]}/${family === "ipv4" ? 32 : 128}`);
      continue;
    }
    const cidr = normalizeCidr(entry);
    if (cidr !== null && ipFamilyOf(cidr) === family) cidrs.push(cidr);
  }
  if (cidrs.length === 0) cidrs = [ZERO_CIDR[family]];
  const matchAll = cidrs.includes(ZERO_CIDR[family]);
  const containsIPv4Loopback = family === "ipv4" && cidrs.some((c) => cidrContains(c, "127.0.0.0"));

  // GetNodeIPs: the node's local addresses (loopback first, like the `lo` interface) inside those CIDRs.
  const localAddresses = [LOOPBACK[family], ...nodeIPs];
  const nodePortIPs = matchAll
    ? []
    : [...new Set(localAddresses.filter((ip) => cidrs.some((c) => cidrContains(c, ip))))];

  const version = node.kubeProxyVersion ?? "v1.32";
  const nfacct = node.nfacctCounters ?? (version === "v1.28" ? [] : [NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS]);
  const largeClusterMode =
    node.largeClusterMode === undefined || node.largeClusterMode === "auto"
      ? totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD
      : node.largeClusterMode;

  return {
    family,
    masqueradeMark: node.masqueradeMark ?? "0x4000",
    masqueradeAll: node.masqueradeAll ?? false,
    podCIDR: node.podCIDR === null ? null : normalizeCidr(node.podCIDR),
    // The IPv6 proxier is always created with localhost node ports off (IPv6 has no route_localnet), and
    // NewProxier turns them off when --nodeport-addresses leave out 127.0.0.0/8.
    localhostNodePorts: family === "ipv4" && (node.localhostNodePorts ?? true) && containsIPv4Loopback,
    nfacctCounters: new Set(nfacct),
    conntrackTCPLiberal: node.conntrackTCPLiberal ?? false,
    masqueradeRandomFully: node.masqueradeRandomFully ?? false,
    nodeIP: nodeIPs[0] ?? null,
    nodePortsMatchAll: matchAll,
    nodePortIPs,
    largeClusterMode,
  };
}

/** Whether a local address may carry node-port traffic (loopback only with localhost node ports, never on IPv6). */
export function nodePortIPAllowed(ip: string, settings: ProxierSettings): boolean {
  if (!isLoopback(ip)) return true;
  return settings.family === "ipv4" && settings.localhostNodePorts;
}
