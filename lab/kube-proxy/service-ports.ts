/**
 * Turns Services into the per-port view kube-proxy's iptables proxier works from (`servicePortInfo` +
 * `endpointInfo` in pkg/proxy), for one IP family: addresses of the other family dropped, addresses normalized,
 * endpoints de-duplicated and sorted by their `ip:port` string ("Ensure endpoints are always returned in the same
 * order to simplify diffing", pkg/proxy/endpointslicecache.go).
 */
import { endpointChainName, servicePortChainName } from "../../lib/kube-proxy/chain-names";
import { ipFamilyOf, joinHostPort, normalizeCidr, normalizeIp } from "./ip-address";
import type { IpFamily, NodeConfig, ServiceSpec } from "./types";

/** kube-proxy's default ClientIP affinity timeout (3 hours). */
const DEFAULT_AFFINITY_SECONDS = 10800;

/** One endpoint of a service port, resolved. */
export interface ResolvedEndpoint {
  /** `ip:port` / `[ip]:port` — kube-proxy's endpoint string (hash input, comment, DNAT target). */
  endpoint: string;
  ip: string;
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** KUBE-SEP-… chain of this endpoint for this service port. */
  sepChain: string;
}

/** One service port as the proxier sees it. */
export interface ResolvedServicePort {
  /** `namespace/name`: kube-proxy tracks changes per Service, not per port (partial syncs). */
  serviceKey: string;
  /** Service port name: `ns/name:port`, or `ns/name` for an unnamed port. */
  name: string;
  /** Lower-case protocol, as used in rules and hashes. */
  protocol: string;
  clusterIP: string;
  port: number;
  /** 0 when the port has no node port. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: string[];
  /** 0 unless a LoadBalancer with externalTrafficPolicy Local has one (NeedsHealthCheck). */
  healthCheckNodePort: number;
  /** ClientIP affinity timeout, or null without affinity. */
  affinitySeconds: number | null;
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  chains: { svc: string; svl: string; ext: string; fw: string };
  endpoints: ResolvedEndpoint[];
}

/** kube-proxy's `ExternallyAccessible()`: the port takes traffic to node ports, LoadBalancer or external IPs. */
export function externallyAccessible(sp: ResolvedServicePort): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0;
}

/** `UsesClusterEndpoints()`: even with externalTrafficPolicy Local, short-circuiting needs the cluster chain. */
export function usesClusterEndpoints(sp: ResolvedServicePort): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

/** `UsesLocalEndpoints()`. */
export function usesLocalEndpoints(sp: ResolvedServicePort): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp));
}

function ofFamily(addresses: string[] | undefined, family: IpFamily): string[] {
  const out: string[] = [];
  for (const a of addresses ?? []) {
    const ip = normalizeIp(a);
    if (ip !== null && ipFamilyOf(ip) === family) out.push(ip);
  }
  return out;
}

function clusterIPOf(service: ServiceSpec, family: IpFamily): string | null {
  const candidates = [...(service.clusterIPs ?? []), ...(service.clusterIP ? [service.clusterIP] : [])];
  if (candidates.some((ip) => ip === "None" || ip === "")) return null; // headless: not proxied
  return ofFamily(candidates, family)[0] ?? null;
}

/** `apiservice.ExternallyAccessible(service)`: decides whether externalTrafficPolicy applies at all. */
function serviceExternallyAccessible(service: ServiceSpec): boolean {
  return (
    service.type === "LoadBalancer" ||
    service.type === "NodePort" ||
    (service.type === "ClusterIP" && (service.externalIPs?.length ?? 0) > 0)
  );
}

/**
 * Every proxied service port of `services` for the node's family, sorted by service port name (kube-proxy iterates
 * a Go map; sorting gives the order kube-proxy's own tests compare in).
 */
export function resolveServicePorts(services: ServiceSpec[], node: NodeConfig): ResolvedServicePort[] {
  const family = node.family ?? "ipv4";
  const out: ResolvedServicePort[] = [];
  for (const service of services) {
    if (service.type === "ExternalName") continue;
    const clusterIP = clusterIPOf(service, family);
    if (clusterIP === null) continue;
    const serviceKey = `${service.namespace}/${service.name}`;
    const externalPolicyLocal =
      serviceExternallyAccessible(service) && service.externalTrafficPolicy === "Local";
    const sourceRanges: string[] = [];
    for (const range of service.loadBalancerSourceRanges ?? []) {
      const cidr = normalizeCidr(range.trim());
      if (cidr !== null && ipFamilyOf(cidr) === family) sourceRanges.push(cidr);
    }
    for (const port of service.ports) {
      const name = port.name === "" ? serviceKey : `${serviceKey}:${port.name}`;
      const protocol = port.protocol.toLowerCase();
      const byEndpoint = new Map<string, ResolvedEndpoint>();
      for (const ep of port.endpoints) {
        const ip = normalizeIp(ep.ip);
        if (ip === null || ipFamilyOf(ip) !== family) continue;
        const endpoint = joinHostPort(ip, ep.port);
        const local = ep.local ?? (ep.nodeName !== undefined && ep.nodeName === node.nodeName);
        // Duplicates across slices collapse to one endpoint; a local copy wins (endpointslicecache addEndpoints).
        if (byEndpoint.has(endpoint) && !local) continue;
        byEndpoint.set(endpoint, {
          endpoint,
          ip,
          local,
          ready: ep.ready,
          serving: ep.serving ?? ep.ready,
          terminating: ep.terminating ?? false,
          sepChain: endpointChainName(name, protocol, endpoint),
        });
      }
      const endpoints = [...byEndpoint.values()].sort((a, b) => compareStrings(a.endpoint, b.endpoint));
      out.push({
        serviceKey,
        name,
        protocol,
        clusterIP,
        port: port.port,
        nodePort: port.nodePort ?? 0,
        externalIPs: ofFamily(service.externalIPs, family),
        loadBalancerVIPs: ofFamily(service.loadBalancerIPs, family),
        loadBalancerSourceRanges: sourceRanges,
        healthCheckNodePort:
          service.type === "LoadBalancer" && externalPolicyLocal ? (service.healthCheckNodePort ?? 0) : 0,
        affinitySeconds:
          service.sessionAffinity === "ClientIP"
            ? (service.sessionAffinityTimeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
            : null,
        internalPolicyLocal: service.internalTrafficPolicy === "Local",
        externalPolicyLocal,
        chains: {
          svc: servicePortChainName("KUBE-SVC-", name, protocol),
          svl: servicePortChainName("KUBE-SVL-", name, protocol),
          ext: servicePortChainName("KUBE-EXT-", name, protocol),
          fw: servicePortChainName("KUBE-FW-", name, protocol),
        },
        endpoints,
      });
    }
  }
  return out.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.protocol, b.protocol));
}

/** Byte-order comparison, as Go's `<` on strings (not locale order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
