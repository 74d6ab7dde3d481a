/**
 * The study note's cluster (seed/000_…): a kind cluster `myk8s` with a control plane and three workers, webpod1–3 (one
 * per worker, `app: webpod`), the client pod net-pod, and `svc-clusterip` (10.200.1.201:9000 → :80) with its
 * EndpointSlice — the objects behind the note's `iptables -t nat -S` output, for the lab and demos.
 */
import type { ControlPlane } from "./control-plane";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "./sample-objects";

/** Nodes of the study cluster: name, InternalIP, pod CIDR (kind gives node N the /24 10.10.N.0). */
export const STUDY_NODES = [
  { name: "myk8s-control-plane", ip: "172.18.0.2", podCIDR: "10.10.0.0/24" },
  { name: "myk8s-worker", ip: "172.18.0.3", podCIDR: "10.10.1.0/24" },
  { name: "myk8s-worker2", ip: "172.18.0.4", podCIDR: "10.10.2.0/24" },
  { name: "myk8s-worker3", ip: "172.18.0.5", podCIDR: "10.10.3.0/24" },
] as const;

/** The web pods behind svc-clusterip, as the note shows them (`curl 10.200.1.201:9000` → webpod2, 10.10.2.2). */
export const STUDY_WEBPODS = [
  { name: "webpod1", node: "myk8s-worker", ip: "10.10.1.2" },
  { name: "webpod2", node: "myk8s-worker2", ip: "10.10.2.2" },
  { name: "webpod3", node: "myk8s-worker3", ip: "10.10.3.3" },
] as const;

/** Loads the study cluster into `plane`. */
export function applyStudyCluster(plane: Pick<ControlPlane, "apply">): void {
  for (const node of STUDY_NODES) plane.apply("Node", nodeObject(node));
  for (const pod of STUDY_WEBPODS) plane.apply("Pod", podObject({ ...pod, labels: { app: "webpod" } }));
  plane.apply("Pod", podObject({ name: "net-pod", node: "myk8s-control-plane", ip: "10.10.0.6" }));
  plane.apply("Service", serviceObject({ name: "svc-clusterip", clusterIP: "10.200.1.201", port: 9000, targetPort: 80, selector: { app: "webpod" } }));
  plane.apply(
    "EndpointSlice",
    endpointSliceObject({ name: "svc-clusterip-7xk2p", service: "svc-clusterip", endpoints: STUDY_WEBPODS.map((p) => ({ ip: p.ip, node: p.node, pod: p.name })), port: 80 }),
  );
}
