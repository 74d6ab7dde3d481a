/**
 * What a fresh kind cluster runs before the study starts, as far as kube-proxy sees it (the seed's first
 * `iptables -t nat -S` shows their chains): the `kubernetes` service (the API server on the control plane's
 * 6443, a hand-written slice), CoreDNS behind kube-dns (10.200.1.10; dns/UDP, dns-tcp, metrics 9153; two pods on
 * the control plane), local-path-provisioner, and kube-ops-view as NodePort 30000 (the study's extraPortMappings).
 */
import type { LabCluster } from "./cluster";
import { labNode } from "./topology";

const CONTROL_PLANE = "myk8s-control-plane";

export async function installSystemWorkloads(cluster: LabCluster): Promise<void> {
  const controlPlane = labNode(CONTROL_PLANE);
  cluster.applyService({ namespace: "default", name: "kubernetes", type: "ClusterIP", clusterIP: "10.200.1.1", ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: 6443 }] });
  cluster.applyObject("EndpointSlice", {
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [controlPlane.ip], conditions: { ready: true } }],
    ports: [{ name: "https", protocol: "TCP", port: 6443 }],
  });

  const dnsPorts = [
    { name: "dns", containerPort: 53, protocol: "UDP" as const },
    { name: "dns-tcp", containerPort: 53, protocol: "TCP" as const },
    { name: "metrics", containerPort: 9153, protocol: "TCP" as const },
  ];
  for (const name of ["coredns-6f6b679f8f-2xkqv", "coredns-6f6b679f8f-9s8lm"]) {
    await cluster.createPod({ namespace: "kube-system", name, node: CONTROL_PLANE, labels: { "k8s-app": "kube-dns" }, image: "registry.k8s.io/coredns/coredns:v1.11.3", ports: dnsPorts });
  }
  cluster.applyService({
    namespace: "kube-system",
    name: "kube-dns",
    type: "ClusterIP",
    clusterIP: "10.200.1.10",
    selector: { "k8s-app": "kube-dns" },
    ports: [
      { name: "dns", protocol: "UDP", port: 53, targetPort: 53 },
      { name: "dns-tcp", protocol: "TCP", port: 53, targetPort: 53 },
      { name: "metrics", protocol: "TCP", port: 9153, targetPort: 9153 },
    ],
  });
  // Holds 10.10.0.4 as in kind, so the study's pods get the seed's addresses (kube-ops-view .5, net-pod .6).
  await cluster.createPod({ namespace: "local-path-storage", name: "local-path-provisioner-57c5987fd4-kx4wn", node: CONTROL_PLANE, labels: { app: "local-path-provisioner" }, image: "docker.io/kindest/local-path-provisioner:v20240813" });
  await cluster.createPod({
    namespace: "kube-system",
    name: "kube-ops-view-657dbc6cd8-6fh4q",
    node: CONTROL_PLANE,
    labels: { "app.kubernetes.io/name": "kube-ops-view" },
    image: "hjacobs/kube-ops-view:20.4.0",
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
  });
  cluster.applyService({
    namespace: "kube-system",
    name: "kube-ops-view",
    type: "NodePort",
    clusterIP: "10.200.1.253",
    selector: { "app.kubernetes.io/name": "kube-ops-view" },
    ports: [{ name: "http", protocol: "TCP", port: 8080, targetPort: "http", nodePort: 30000 }],
  });
}
