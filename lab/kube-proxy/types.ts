/**
 * Input of the lab's kube-proxy renderer: Services, their endpoints and the node, in the shape of the Kubernetes
 * objects kube-proxy reads, trimmed to the fields its iptables mode uses.
 *
 * The shape follows the corpus sidecars (`corpus/iptables/*.json`) closely so a sidecar turns into renderer input
 * with a small adapter (`sidecar-to-input.ts`). Where a Kubernetes field lives on the Service (cluster IPs, external
 * IPs, load-balancer ingress, health-check node port) it lives on `ServiceSpec` here too, even though the sidecars
 * repeat it per port.
 */

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";

/** Protocol as the Kubernetes API spells it; kube-proxy lower-cases it for rules and chain hashes. */
export type ServiceProtocol = "TCP" | "UDP" | "SCTP";

export type TrafficPolicy = "Cluster" | "Local";

export type IpFamily = "ipv4" | "ipv6";

/**
 * One endpoint of a service port, as an EndpointSlice entry carries it (address, port, conditions, node).
 * kube-proxy keeps only the first address of a slice endpoint, so there is one `ip` here.
 */
export interface EndpointSpec {
  ip: string;
  /** The endpoint port for this service port (the slice port with the service port's name). */
  port: number;
  /** `conditions.ready`; kube-proxy treats a missing condition as true. */
  ready: boolean;
  /** `conditions.serving`; defaults to `ready` when absent. */
  serving?: boolean;
  /** `conditions.terminating`; defaults to false. */
  terminating?: boolean;
  /** Node the endpoint runs on; it is local when this equals `NodeConfig.nodeName`. */
  nodeName?: string;
  /** Explicit locality, as the sidecars give it; wins over `nodeName` when set. */
  local?: boolean;
}

/** One `spec.ports[]` entry together with the endpoints EndpointSlices give it. */
export interface ServicePortSpec {
  /** Port name; `""` for a single unnamed port (the service port name is then `ns/name`, without a colon). */
  name: string;
  protocol: ServiceProtocol;
  port: number;
  targetPort?: number | string;
  /** Allocated node port; absent or 0 when none (ClusterIP, or LoadBalancer without node ports). */
  nodePort?: number;
  endpoints: EndpointSpec[];
}

/** A Service (`spec` plus `status.loadBalancer`) with the endpoints of each of its ports. */
export interface ServiceSpec {
  namespace: string;
  name: string;
  type: ServiceType;
  /** `spec.clusterIP`; `None` or absent makes the service headless, and kube-proxy skips it. */
  clusterIP?: string;
  /** `spec.clusterIPs` (dual stack); the renderer picks the one of the node's family. */
  clusterIPs?: string[];
  externalIPs?: string[];
  /** `status.loadBalancer.ingress[].ip` (used only for type LoadBalancer). */
  loadBalancerIPs?: string[];
  /** `spec.loadBalancerSourceRanges`; kube-proxy trims spaces and normalizes them as CIDRs. */
  loadBalancerSourceRanges?: string[];
  ports: ServicePortSpec[];
  sessionAffinity?: "None" | "ClientIP";
  /** `sessionAffinityConfig.clientIP.timeoutSeconds`; 10800 when ClientIP affinity has none. */
  sessionAffinityTimeoutSeconds?: number;
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  /** Only meaningful with `externalTrafficPolicy: Local`; kube-proxy ignores it otherwise. */
  healthCheckNodePort?: number;
}

/** The kube-proxy release whose output style to imitate. */
export type KubeProxyVersion = "v1.28" | "v1.32";

/** The node kube-proxy runs on and the flags it was started with. */
export interface NodeConfig {
  nodeName: string;
  /** Node addresses; the first of the node's family is the primary node IP (LoadBalancer source-range checks). */
  nodeIPs: string[];
  /** Which proxier: iptables (ipv4) or ip6tables (ipv6). Default ipv4. */
  family?: IpFamily;
  /**
   * Pod CIDR of the local-traffic detector (`--cluster-cidr`, e.g. `10.244.0.0/16`), or null for the no-op detector
   * (no `! -s <cidr> -j KUBE-MARK-MASQ` rules, no "pod traffic" short-circuit).
   */
  podCIDR: string | null;
  /** Masquerade mark, `0x4000` for the default `--iptables-masquerade-bit=14`. */
  masqueradeMark?: string;
  /** `--masquerade-all`: mark every cluster-IP connection for SNAT. */
  masqueradeAll?: boolean;
  /** `--nodeport-addresses` CIDRs (or `primary`); empty means every local address. */
  nodePortAddresses?: string[];
  /** `--iptables-localhost-nodeports` (default true; IPv4 only). */
  localhostNodePorts?: boolean;
  /** Output style; default `v1.32`. v1.28 has no nfacct counters. */
  kubeProxyVersion?: KubeProxyVersion;
  /** nfacct counters kube-proxy found; default both counters for v1.32 and none for v1.28. */
  nfacctCounters?: string[];
  /** `net.netfilter.nf_conntrack_tcp_be_liberal` set: no INVALID drop rule in KUBE-FORWARD. */
  conntrackTCPLiberal?: boolean;
  /** iptables supports `MASQUERADE --random-fully` (real nodes do; kube-proxy's unit tests do not). Default false. */
  masqueradeRandomFully?: boolean;
  /**
   * kube-proxy drops the per-endpoint comments above 1000 endpoints ("large cluster mode"). `auto` (default) applies
   * that threshold; true/false force it.
   */
  largeClusterMode?: boolean | "auto";
}
