/**
 * The lab's endpoint-slice controller: for every Service with a selector, one EndpointSlice holding the running pods
 * it selects, with each service port's target port resolved against the pod's container ports (a named target port
 * may differ per pod, as in Kubernetes; the lab's pods all name theirs alike, so one slice suffices). A slice is
 * written only when its content changes, so its resourceVersion moves only with real endpoint changes.
 */
import { createHash } from "node:crypto";
import type { ControlPlane } from "../control-plane/control-plane";
import type { KubeObject } from "../control-plane/object-store";

interface SpecPort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
}

interface PodPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** kube-controller-manager names slices `<service>-<5 random chars>`; here the suffix is stable per service. */
export function sliceNameOf(service: string): string {
  const suffix = createHash("sha256").update(service).digest("base64url").replace(/[^a-z0-9]/g, "").slice(0, 5).padEnd(5, "x");
  return `${service}-${suffix}`;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function targetPortOf(port: SpecPort, pods: KubeObject[]): number {
  if (typeof port.targetPort === "number") return port.targetPort;
  if (typeof port.targetPort === "string" && port.targetPort !== "") {
    for (const pod of pods) {
      const containers = ((pod.spec as { containers?: { ports?: PodPort[] }[] }).containers ?? []).flatMap((c) => c.ports ?? []);
      const named = containers.find((p) => p.name === port.targetPort);
      if (named) return named.containerPort;
    }
  }
  return port.port;
}

/** The slice a service should have now, or null for a service without a selector. */
export function desiredSlice(service: KubeObject, pods: KubeObject[]): KubeObject | null {
  const spec = service.spec as { selector?: Record<string, string>; ports?: SpecPort[] };
  if (!spec.selector) return null;
  const namespace = service.metadata.namespace ?? "default";
  const selected = pods
    .filter((p) => (p.metadata.namespace ?? "default") === namespace)
    .filter((p) => selects(spec.selector!, (p.metadata.labels ?? {}) as Record<string, string>))
    .filter((p) => (p.status as { phase?: string; podIP?: string }).phase === "Running" && (p.status as { podIP?: string }).podIP)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return {
    metadata: {
      name: sliceNameOf(service.metadata.name),
      namespace,
      labels: { "kubernetes.io/service-name": service.metadata.name, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: service.metadata.name, controller: true }],
    },
    addressType: "IPv4",
    endpoints: selected.map((pod) => ({
      addresses: [(pod.status as { podIP: string }).podIP],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: (pod.spec as { nodeName?: string }).nodeName,
      targetRef: { kind: "Pod", namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    })),
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? "", protocol: p.protocol ?? "TCP", port: targetPortOf(p, selected) })),
  };
}

const contentOf = (slice: KubeObject) => JSON.stringify({ endpoints: slice.endpoints, ports: slice.ports, labels: slice.metadata.labels });

/** Brings every selector-managed slice in line with the pods; returns how many slices it wrote or deleted. */
export function reconcileEndpointSlices(plane: Pick<ControlPlane, "list" | "apply" | "remove">): number {
  const pods = plane.list("Pod");
  const services = plane.list("Service");
  const slices = plane.list("EndpointSlice");
  let writes = 0;
  const wanted = new Set<string>();
  for (const service of services) {
    const slice = desiredSlice(service, pods);
    if (!slice) continue;
    const key = `${slice.metadata.namespace}/${slice.metadata.name}`;
    wanted.add(key);
    const current = slices.find((s) => `${s.metadata.namespace}/${s.metadata.name}` === key);
    if (current && contentOf(current) === contentOf(slice)) continue;
    plane.apply("EndpointSlice", slice);
    writes++;
  }
  for (const slice of slices) {
    const managed = (slice.metadata.labels as Record<string, string> | undefined)?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io";
    if (managed && !wanted.has(`${slice.metadata.namespace}/${slice.metadata.name}`)) {
      plane.remove("EndpointSlice", slice.metadata.namespace ?? "default", slice.metadata.name);
      writes++;
    }
  }
  return writes;
}
