import { describe, expect, it } from "vitest";
import { endpointSliceObject, nodeObject, podObject, serviceObject } from "../../lab/control-plane/sample-objects";
import { trimObject } from "./trim-object";

const stored = <T extends { metadata: object }>(o: T) => ({ ...o, metadata: { ...o.metadata, uid: "u-1", resourceVersion: "42", managedFields: [{ manager: "kubectl" }] } });

describe("trimObject", () => {
  it("keeps a pod's node and IPs and drops annotations, container specs and image details", () => {
    const pod = trimObject("Pod", stored(podObject({ name: "web-1", node: "myk8s-worker", ip: "10.10.1.2", labels: { app: "web" } })));
    expect(pod).toEqual({
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "web-1", namespace: "default", uid: "u-1", resourceVersion: "42", labels: { app: "web" } },
      spec: { nodeName: "myk8s-worker" },
      status: {
        phase: "Running",
        hostIP: "172.18.0.2",
        podIP: "10.10.1.2",
        podIPs: [{ ip: "10.10.1.2" }],
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [{ name: "web", ready: true, restartCount: 0 }],
      },
    });
  });

  it("keeps a service's spec, a slice's endpoints and ports, a node's addresses", () => {
    const service = serviceObject({ name: "svc", clusterIP: "10.200.1.176", port: 9000 });
    expect(trimObject("Service", stored(service)).spec).toEqual(service.spec);
    const slice = endpointSliceObject({ name: "svc-x", service: "svc", endpoints: [{ ip: "10.10.1.2", node: "myk8s-worker" }] });
    const trimmedSlice = trimObject("EndpointSlice", stored(slice));
    expect(trimmedSlice).toMatchObject({ apiVersion: "discovery.k8s.io/v1", addressType: "IPv4", endpoints: slice.endpoints, ports: slice.ports });
    expect(trimmedSlice.metadata.labels).toEqual({ "kubernetes.io/service-name": "svc" });
    const node = trimObject("Node", stored(nodeObject({ name: "myk8s-worker", ip: "172.18.0.3", podCIDR: "10.10.1.0/24" })));
    expect(node.status).toEqual({ addresses: [{ type: "InternalIP", address: "172.18.0.3" }, { type: "Hostname", address: "myk8s-worker" }] });
    expect(node.spec).toEqual({ podCIDR: "10.10.1.0/24", podCIDRs: ["10.10.1.0/24"] });
    expect(JSON.stringify(node)).not.toContain("kube-proxy:v1.32.2");
  });
});
