/**
 * The kube-proxy model: what a node's NAT rules say about Services, rebuilt from iptables or nftables rules.
 *
 * Everything here is plain data (it crosses from server components to the browser and is stored as JSON).
 * Field names used by the CLI's `--json` output and the API are stable.
 */

export type Protocol = "tcp" | "udp" | "sctp";

/** How kube-proxy programmed the node. */
export type ProxyMode = "iptables" | "nftables" | "ipvs";

/**
 * A way traffic reaches a service port:
 * - `cluster-ip`: KUBE-SERVICES `-d VIP --dport P` → KUBE-SVC/KUBE-SVL
 * - `external-ip`: KUBE-SERVICES "external IP" → KUBE-EXT (older versions: KUBE-XLB or KUBE-SVC)
 * - `load-balancer`: KUBE-SERVICES "loadbalancer IP" → KUBE-EXT or KUBE-FW
 * - `node-port`: KUBE-NODEPORTS `--dport N` → KUBE-EXT (older versions: KUBE-XLB or KUBE-SVC)
 */
export type PathKind = "cluster-ip" | "external-ip" | "load-balancer" | "node-port";

/** One entry path, as the chain hops a new connection takes before it is balanced. */
export interface ServicePath {
  kind: PathKind;
  /** `ip:port` for VIP paths (`[v6]:port` for IPv6), `:port` for node ports, possibly restricted (`127.0.0.0/8:30007`). */
  destination: string;
  /** Chain hops, e.g. `["KUBE-SERVICES", "KUBE-SVC-KBDEBIL6IU6WL7RF"]` or `["KUBE-NODEPORTS", "KUBE-EXT-…", "KUBE-SVC-…"]`. */
  chains: string[];
  /** Whether traffic on this path is marked for masquerade (KUBE-MARK-MASQ before balancing) and under which condition. */
  masquerade: "always" | "off-cluster" | "never";
}

/** One backend of a service port, as its balancing rule and its KUBE-SEP chain say. */
export interface EndpointModel {
  /** `ip:port`, `[ip]:port` for IPv6 — the DNAT destination. */
  address: string;
  /** KUBE-SEP-… (iptables) or endpoint-…  (nftables) chain. */
  sepChain: string;
  /** True when the chain name equals kube-proxy's hash of the service port, protocol and address. */
  chainVerified: boolean;
  /** `--probability` exactly as written (e.g. `0.33333333349`); null for the last rule (no statistic match). */
  probabilityText: string | null;
  /** The probability as a number; null for the last rule (it takes every connection that reaches it). */
  probability: number | null;
  /** Effective share of new connections: p_i · Π_{j<i}(1 − p_j). */
  share: number;
  /** New connections this node sent to the endpoint (counter of the balancing rule); 0 when not captured with -c. */
  packets: number;
  bytes: number;
  /** Which balancing chain holds it: the cluster-wide KUBE-SVC or the node-local KUBE-SVL. */
  via: "cluster" | "local";
}

/** What happens to traffic of a service port without usable endpoints (filter table, or nftables no-endpoint maps). */
export interface NoEndpointsVerdict {
  action: "REJECT" | "DROP";
  /** kube-proxy's reason: `has no endpoints`, `has no local endpoints`. */
  reason: string;
  destination: string;
}

/** One service port (`namespace/name:port` + protocol) as the node's rules implement it. */
export interface ServicePortModel {
  /** Service port name as kube-proxy writes it: `namespace/name:port`, or `namespace/name` for an unnamed port. */
  name: string;
  namespace: string;
  service: string;
  /** Port name; `""` for an unnamed port. */
  portName: string;
  protocol: Protocol;
  /** KUBE-SVC-… / service-… chain (null when there are no endpoints). */
  svcChain: string | null;
  /** KUBE-SVL-… chain (node-local endpoints, externalTrafficPolicy/internalTrafficPolicy Local). */
  svlChain: string | null;
  /** KUBE-EXT-… chain (older kube-proxy: KUBE-XLB-…). */
  extChain: string | null;
  /** KUBE-FW-… chain (LoadBalancer source ranges). */
  fwChain: string | null;
  /** True when every service-level chain name above equals kube-proxy's hash of `name` + protocol. */
  chainVerified: boolean;
  /** Virtual addresses with the service port, `ip:port` (`[ip]:port` for IPv6), e.g. `10.200.1.201:9000`. */
  clusterIPs: string[];
  /** External IPs with the service port, `ip:port`. */
  externalIPs: string[];
  /** LoadBalancer ingress IPs with the service port, `ip:port`. */
  loadBalancerIPs: string[];
  nodePorts: number[];
  /** Endpoints of the cluster-wide balancing chain, then those only in the local chain, in rule order. */
  endpoints: EndpointModel[];
  paths: ServicePath[];
  /** ClientIP session affinity (`-m recent --rcheck --seconds T`), or null. */
  affinitySeconds: number | null;
  /** `Local` when external traffic is kept on node-local endpoints (KUBE-EXT → KUBE-SVL, or KUBE-XLB). */
  externalTrafficPolicy: "Cluster" | "Local";
  /** `Local` when cluster-IP traffic goes to KUBE-SVL. */
  internalTrafficPolicy: "Cluster" | "Local";
  /** Set when the filter table rejects or drops the service's traffic for lack of endpoints. */
  noEndpoints: NoEndpointsVerdict[];
  /** New connections entering the service through its paths (sum of the balancing rules' counters). */
  packets: number;
}

export type ProblemKind =
  | "chain-name-mismatch" // a chain's name is not kube-proxy's hash of the service port / endpoint its rules name
  | "orphan-chain" // a KUBE-SVC/SVL/EXT/FW/SEP chain nothing jumps to
  | "dangling-jump" // a rule jumps to a chain that does not exist
  | "probability-ladder" // the shares do not add up to 1, or a probability rule is last
  | "unparsed-rule"; // a KUBE-* rule natwatch could not interpret (kept, reported)

export interface ModelProblem {
  kind: ProblemKind;
  chain: string;
  message: string;
  /** Input line when the problem is a single rule. */
  line?: number;
  servicePort?: string;
}

/** The whole model of one node's ruleset. */
export interface ProxyModel {
  mode: ProxyMode;
  family: "ipv4" | "ipv6";
  servicePorts: ServicePortModel[];
  problems: ModelProblem[];
}
