import { describe, expect, it } from "vitest";
import { startControlPlane } from "../control-plane/control-plane";
import { endpointChainName } from "../../lib/kube-proxy/chain-names";
import { renderNatRules } from "../kube-proxy/render-iptables";
import { reconcileEndpointSlices } from "./endpoints-controller";
import { podObject, serviceObject } from "./lab-objects";
import { servicesForProxy } from "./proxy-input";

const webpod = (name: string, node: string, ip: string) =>
  podObject({ namespace: "default", name, node, nodeIP: "172.18.0.3", ip, labels: { app: "webpod" }, image: "traefik/whoami", ports: [{ name: "web", containerPort: 80, protocol: "TCP" }] });

describe("the lab's endpoint slices and what kube-proxy makes of them", () => {
  it("follows the selected pods, resolves a named target port, and writes only on change", async () => {
    const plane = await startControlPlane();
    try {
      plane.apply("Service", serviceObject({ namespace: "default", name: "svc-clusterip", type: "ClusterIP", clusterIP: "10.200.1.201", selector: { app: "webpod" }, ports: [{ name: "svc-webport", protocol: "TCP", port: 9000, targetPort: "web" }] }));
      plane.apply("Pod", webpod("webpod1", "myk8s-worker", "10.10.1.2"));
      plane.apply("Pod", webpod("webpod2", "myk8s-worker2", "10.10.2.2"));
      plane.apply("Pod", podObject({ namespace: "default", name: "net-pod", node: "myk8s-control-plane", nodeIP: "172.18.0.2", ip: "10.10.0.6", labels: {}, image: "nicolaka/netshoot", ports: [] }));
      expect(reconcileEndpointSlices(plane)).toBe(1);
      expect(reconcileEndpointSlices(plane)).toBe(0);

      const [slice] = plane.list("EndpointSlice");
      expect(slice?.metadata.labels).toMatchObject({ "kubernetes.io/service-name": "svc-clusterip" });
      expect(slice?.ports).toEqual([{ name: "svc-webport", protocol: "TCP", port: 80 }]);

      const [service] = servicesForProxy(plane.list("Service"), plane.list("EndpointSlice"));
      expect(service?.ports[0]?.endpoints.map((e) => `${e.ip}:${e.port}@${e.nodeName}`)).toEqual(["10.10.1.2:80@myk8s-worker", "10.10.2.2:80@myk8s-worker2"]);
      const rules = renderNatRules([service!], { nodeName: "myk8s-worker", nodeIPs: ["172.18.0.3"], podCIDR: "10.10.0.0/16" }, { tables: ["nat"] });
      expect(rules).toContain(`:${endpointChainName("default/svc-clusterip:svc-webport", "tcp", "10.10.2.2:80")} `);

      plane.remove("Pod", "default", "webpod2");
      expect(reconcileEndpointSlices(plane)).toBe(1);
      const [after] = servicesForProxy(plane.list("Service"), plane.list("EndpointSlice"));
      expect(after?.ports[0]?.endpoints.map((e) => e.ip)).toEqual(["10.10.1.2"]);

      plane.remove("Service", "default", "svc-clusterip");
      expect(reconcileEndpointSlices(plane)).toBe(1);
      expect(plane.list("EndpointSlice")).toEqual([]);
    } finally {
      await plane.stop();
    }
  });
});
