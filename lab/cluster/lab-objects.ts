/**
 * The Kubernetes objects the lab's control plane holds for what really runs: Pods with their real addresses and
 * node, Services with several ports and any type. (lab/control-plane/sample-objects.ts builds fixed one-port
 * samples for tests; these follow the running cluster.)
 */
import type { KubeObject } from "../control-plane/object-store";

/** A port a pod's container listens on. */
export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: "TCP" | "UDP";
}

/** A running pod as the lab created it. */
export interface PodInput {
  namespace: string;
  name: string;
  node: string;
  nodeIP: string;
  ip: string;
  labels: Record<string, string>;
  image: string;
  ports: ContainerPort[];
}

export function podObject(pod: PodInput): KubeObject {
  return {
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      nodeName: pod.node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "container", image: pod.image, ports: pod.ports }],
    },
    status: {
      phase: "Running",
      hostIP: pod.nodeIP,
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{ name: "container", ready: true, restartCount: 0, image: pod.image, imageID: `${pod.image}@sha256:lab`, state: { running: {} } }],
    },
  };
}

/** One `spec.ports[]` entry. */
export interface ServicePortInput {
  name: string;
  protocol: "TCP" | "UDP";
  port: number;
  /** A number, a container port name, or absent (= port). */
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceInput {
  namespace: string;
  name: string;
  type: "ClusterIP" | "NodePort";
  clusterIP: string;
  ports: ServicePortInput[];
  /** Pods of these labels are the endpoints; without a selector the EndpointSlices are written by hand. */
  selector?: Record<string, string>;
}

export function serviceObject(service: ServiceInput): KubeObject {
  return {
    metadata: { name: service.name, namespace: service.namespace },
    spec: {
      type: service.type,
      clusterIP: service.clusterIP,
      clusterIPs: [service.clusterIP],
      ipFamilies: ["IPv4"],
      ...(service.selector ? { selector: service.selector } : {}),
      ports: service.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort ?? p.port, ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
      sessionAffinity: "None",
      ...(service.type === "NodePort" ? { externalTrafficPolicy: "Cluster" } : {}),
      internalTrafficPolicy: "Cluster",
    },
    status: { loadBalancer: {} },
  };
}
