/**
 * Builders of the objects the lab's control plane holds, shaped like kind's API server returns them (the seed note's
 * cluster: nodes `myk8s-control-plane`, `myk8s-worker`, pods in 10.10.x.0/24, services in 10.200.1.0/24).
 */
import type { KubeObject } from "./object-store";

/** A running, ready Pod on `node` with IP `ip`. */
export function podObject(input: { namespace?: string; name: string; node: string; ip: string; labels?: Record<string, string>; phase?: string }): KubeObject {
  const ready = (input.phase ?? "Running") === "Running";
  return {
    metadata: { name: input.name, namespace: input.namespace ?? "default", labels: input.labels ?? {}, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
    spec: { nodeName: input.node, containers: [{ name: "web", image: "traefik/whoami", ports: [{ containerPort: 80, protocol: "TCP" }] }] },
    status: {
      phase: input.phase ?? "Running",
      hostIP: "172.18.0.2",
      podIP: input.ip,
      podIPs: [{ ip: input.ip }],
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: [{ name: "web", ready, restartCount: 0, image: "traefik/whoami", imageID: "docker.io/traefik/whoami@sha256:0", state: { running: {} } }],
    },
  };
}

/** A ClusterIP Service (or another `type`) with one TCP port. */
export function serviceObject(input: { namespace?: string; name: string; clusterIP: string; port: number; targetPort?: number; type?: string; selector?: Record<string, string> }): KubeObject {
  return {
    metadata: { name: input.name, namespace: input.namespace ?? "default" },
    spec: {
      type: input.type ?? "ClusterIP",
      clusterIP: input.clusterIP,
      clusterIPs: [input.clusterIP],
      selector: input.selector ?? { app: input.name },
      ports: [{ name: "svc-webport", protocol: "TCP", port: input.port, targetPort: input.targetPort ?? 80 }],
    },
  };
}

/** An IPv4 EndpointSlice of `service` with one endpoint per address (ready unless listed in `notReady`). */
export function endpointSliceObject(input: {
  namespace?: string;
  name: string;
  service: string;
  endpoints: { ip: string; node: string; pod?: string; ready?: boolean }[];
  port?: number;
}): KubeObject {
  return {
    metadata: { name: input.name, namespace: input.namespace ?? "default", labels: { "kubernetes.io/service-name": input.service } },
    addressType: "IPv4",
    endpoints: input.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      nodeName: e.node,
      ...(e.pod ? { targetRef: { kind: "Pod", namespace: input.namespace ?? "default", name: e.pod } } : {}),
    })),
    ports: [{ name: "svc-webport", protocol: "TCP", port: input.port ?? 80 }],
  };
}

/** A Ready Node with an InternalIP. */
export function nodeObject(input: { name: string; ip: string; podCIDR?: string }): KubeObject {
  return {
    metadata: { name: input.name, labels: { "kubernetes.io/hostname": input.name, "kubernetes.io/os": "linux" } },
    spec: input.podCIDR ? { podCIDR: input.podCIDR, podCIDRs: [input.podCIDR] } : {},
    status: {
      addresses: [
        { type: "InternalIP", address: input.ip },
        { type: "Hostname", address: input.name },
      ],
      conditions: [{ type: "Ready", status: "True" }],
      images: [{ names: ["registry.k8s.io/kube-proxy:v1.32.2"], sizeBytes: 95_000_000 }],
    },
  };
}
