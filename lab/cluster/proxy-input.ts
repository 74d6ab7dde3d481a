/**
 * What kube-proxy makes of the API objects: Services and their EndpointSlices → the renderer's `ServiceSpec[]`
 * (lab/kube-proxy/types.ts). An endpoint belongs to a service port through the slice port of the same name and
 * protocol, whose port number is the endpoint's (the resolved target port).
 */
import type { KubeObject } from "../control-plane/object-store";
import type { EndpointSpec, ServiceProtocol, ServiceSpec, ServiceType } from "../kube-proxy/types";

interface SpecPort {
  name?: string;
  protocol?: ServiceProtocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
}

interface SlicePort {
  name?: string;
  protocol?: string;
  port?: number;
}

/** The renderer input for `services` with the endpoints `slices` give them. */
export function servicesForProxy(services: KubeObject[], slices: KubeObject[]): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  for (const service of services) {
    const namespace = service.metadata.namespace ?? "default";
    const name = service.metadata.name;
    const spec = service.spec as { type?: ServiceType; clusterIP?: string; clusterIPs?: string[]; ports?: SpecPort[]; externalTrafficPolicy?: "Cluster" | "Local" };
    const own = slices.filter(
      (s) => (s.metadata.namespace ?? "default") === namespace && (s.metadata.labels as Record<string, string> | undefined)?.["kubernetes.io/service-name"] === name,
    );
    out.push({
      namespace,
      name,
      type: spec.type ?? "ClusterIP",
      clusterIP: spec.clusterIP,
      clusterIPs: spec.clusterIPs,
      ...(spec.externalTrafficPolicy ? { externalTrafficPolicy: spec.externalTrafficPolicy } : {}),
      ports: (spec.ports ?? []).map((port) => {
        const protocol = port.protocol ?? "TCP";
        const endpoints: EndpointSpec[] = [];
        for (const slice of own) {
          const slicePort = ((slice.ports ?? []) as SlicePort[]).find((p) => (p.name ?? "") === (port.name ?? "") && (p.protocol ?? "TCP") === protocol);
          if (!slicePort?.port) continue;
          for (const endpoint of (slice.endpoints ?? []) as SliceEndpoint[]) {
            const ip = endpoint.addresses[0];
            if (!ip) continue;
            const ready = endpoint.conditions?.ready ?? true;
            endpoints.push({
              ip,
              port: slicePort.port,
              ready,
              serving: endpoint.conditions?.serving ?? ready,
              terminating: endpoint.conditions?.terminating ?? false,
              ...(endpoint.nodeName ? { nodeName: endpoint.nodeName } : {}),
            });
          }
        }
        return {
          name: port.name ?? "",
          protocol,
          port: port.port,
          ...(port.targetPort !== undefined ? { targetPort: port.targetPort } : {}),
          ...(port.nodePort ? { nodePort: port.nodePort } : {}),
          endpoints,
        };
      }),
    });
  }
  return out;
}
