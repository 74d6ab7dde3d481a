/**
 * Turns a corpus sidecar (`corpus/iptables/NNN_*.json`, describing the Services and endpoints behind a kube-proxy
 * test dump) into renderer input. The sidecars repeat service-level fields per port and describe the node in
 * slightly different words in the v1.32 and v1.28 sets; this adapter absorbs those differences.
 */
import type { EndpointSpec, NodeConfig, ServicePortSpec, ServiceSpec, ServiceType, TrafficPolicy } from "./types";

/** A sidecar endpoint (`inRules`/`sepChain` are expectations, not input). */
export interface SidecarEndpoint {
  ip: string;
  port: number;
  local?: boolean;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  inRules?: boolean;
  sepChain?: string;
}

export interface SidecarPort {
  name: string;
  protocol?: "TCP" | "UDP" | "SCTP";
  port?: number;
  clusterIP?: string;
  nodePort?: number;
  healthCheckNodePort?: number;
  externalIPs?: string[];
  loadBalancerIPs?: string[];
  loadBalancerSourceRanges?: string[];
  targetPort?: number;
  servicePortName?: string;
  chains?: Record<string, string>;
  endpoints?: SidecarEndpoint[];
}

export interface SidecarService {
  namespace: string;
  name: string;
  type?: ServiceType;
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  sessionAffinity?: "None" | "ClientIP";
  sessionAffinityTimeoutSeconds?: number;
  ports: SidecarPort[];
}

export interface Sidecar {
  test?: string;
  source?: string;
  family?: string;
  node?: Record<string, unknown>;
  config?: Record<string, unknown>;
  services?: SidecarService[];
  /** Partial-sync steps describe the state after the step under this name. */
  servicesAfterStep?: SidecarService[];
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
}

/** The node as the sidecar describes it (its `node` and `config` sections, in either corpus dialect). */
export function sidecarNode(sidecar: Sidecar): NodeConfig {
  const node = sidecar.node ?? {};
  const config = sidecar.config ?? {};
  const legacy = /v1\.28/.test(sidecar.source ?? "");
  // "test-node (testHostname)" names the Go constant too; the node name is the first word.
  const nodeName = String(node.nodeName ?? "test-node").split(" ")[0] ?? "test-node";
  const nodeIPs = stringList(node.nodeIPs) ?? (typeof node.nodeIP === "string" ? [node.nodeIP] : []);
  const detector = typeof config.localDetector === "string" ? config.localDetector : "";
  // "10.0.0.0/8 unless noted": the CIDR is the first word; a "NoOp" detector in `config` overrides it.
  const podCIDR = detector.startsWith("NoOp") ? null : (String(node["podCIDR(localDetector)"] ?? "").split(" ")[0] || null);
  const localhostNodePorts = config.localhostNodePorts ?? node.localhostNodePorts;
  return {
    nodeName,
    nodeIPs,
    family: /ipv6|ip6tables/i.test(sidecar.family ?? "") ? "ipv6" : "ipv4",
    podCIDR,
    masqueradeMark: typeof node.masqueradeMark === "string" ? node.masqueradeMark : "0x4000",
    nodePortAddresses: stringList(config.nodePortAddresses),
    localhostNodePorts: typeof localhostNodePorts === "boolean" ? localhostNodePorts : true,
    kubeProxyVersion: legacy ? "v1.28" : "v1.32",
    nfacctCounters: stringList(node.nfacctCounters) ?? [],
  };
}

function toEndpoint(ep: SidecarEndpoint): EndpointSpec {
  const ready = ep.ready ?? true;
  return { ip: ep.ip, port: ep.port, ready, serving: ep.serving ?? ready, terminating: ep.terminating ?? false, local: ep.local ?? false };
}

/** Services of the sidecar (the state after the step, for partial-sync steps). */
export function sidecarServices(sidecar: Sidecar): ServiceSpec[] {
  const services = sidecar.services ?? sidecar.servicesAfterStep ?? [];
  return services.map((s): ServiceSpec => {
    const first = s.ports[0];
    const ports: ServicePortSpec[] = s.ports
      .filter((p) => p.port !== undefined)
      .map((p) => ({
        name: p.name,
        protocol: p.protocol ?? "TCP",
        port: p.port ?? 0,
        targetPort: p.targetPort,
        nodePort: p.nodePort,
        endpoints: (p.endpoints ?? []).map(toEndpoint),
      }));
    return {
      namespace: s.namespace,
      name: s.name,
      type: s.type ?? "ClusterIP",
      clusterIP: first?.clusterIP,
      externalIPs: first?.externalIPs,
      loadBalancerIPs: first?.loadBalancerIPs,
      loadBalancerSourceRanges: first?.loadBalancerSourceRanges,
      healthCheckNodePort: first?.healthCheckNodePort,
      externalTrafficPolicy: s.externalTrafficPolicy,
      internalTrafficPolicy: s.internalTrafficPolicy,
      sessionAffinity: s.sessionAffinity,
      sessionAffinityTimeoutSeconds: s.sessionAffinityTimeoutSeconds,
      ports,
    };
  });
}
