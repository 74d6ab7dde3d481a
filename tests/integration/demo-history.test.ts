/**
 * The demo history (`npm run demo`): the seed's scenario rendered by the lab's kube-proxy renderer and stored through
 * the ingest use cases. What a person opening the demo must find in it, read back through the dashboard's queries.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadDemoHistory, DEMO_CLUSTER } from "../../scripts/demo-data";
import { listNodes } from "../../lib/server/queries/list-nodes";
import { listServicePorts } from "../../lib/server/queries/list-service-ports";
import { listChanges } from "../../lib/server/queries/list-changes";
import { getEndpointTraffic } from "../../lib/server/queries/get-endpoint-traffic";
import { isNotFound, type NotFound } from "../../lib/server/queries/not-found";
import { useTestDatabase } from "./support/databases";

const WEB = "default/svc-clusterip:svc-webport";

function ok<T>(value: T): Exclude<T, NotFound> {
  if (isNotFound(value)) throw new Error(value.message);
  return value as Exclude<T, NotFound>;
}

describe("demo history on sqlite", () => {
  const database = useTestDatabase("sqlite");
  const end = new Date();

  beforeAll(async () => {
    expect(await loadDemoHistory(database().db, { end })).toBeGreaterThan(4 * 60);
  }, 240_000);

  it("is loaded once: a second run adds nothing", async () => {
    expect(await loadDemoHistory(database().db, { end })).toBe(0);
  });

  it("has the seed's four kind nodes, all reporting until the end", async () => {
    const nodes = ok(await listNodes(database().db, DEMO_CLUSTER));
    expect(nodes.map((n) => n.name)).toEqual(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
    for (const node of nodes) expect(node.lastCaptureAt.getTime()).toBe(end.getTime());
  });

  it("ends with worker3's kube-proxy stuck: svc-clusterip agrees on 3 of 4 nodes, worker3 still balancing to 5 pods", async () => {
    const list = ok(await listServicePorts(database().db, DEMO_CLUSTER, { names: [WEB] }));
    const web = list.servicePorts[0]!;
    expect(web.agreement).toEqual({ agreeing: 3, nodes: 4 });
    const byNode = new Map(web.nodes.map((n) => [n.node, n]));
    expect(byNode.get("myk8s-worker3")).toMatchObject({ agrees: false });
    expect(byNode.get("myk8s-worker3")!.endpoints).toHaveLength(5);
    expect(byNode.get("myk8s-worker")!.endpoints.map((e) => e.address)).toEqual(["10.10.1.2:80", "10.10.2.5:80", "10.10.3.3:80"]);
    expect(byNode.get("myk8s-worker")!.nodePorts).toEqual([30007]);
  });

  it("shows webpod2's restart on every node, caused by its pod events, with worker3 four seconds late", async () => {
    const changes = ok(await listChanges(database().db, DEMO_CLUSTER, { service: WEB, limit: 500 })).changes;
    const restart = changes.filter((c) => c.kind === "endpoint-added" && c.summary?.includes("10.10.2.5:80"));
    expect(restart.map((c) => c.node).sort()).toEqual(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
    for (const change of restart) expect(change.cause).toMatchObject({ kind: "Pod", name: "webpod2", type: "ADDED" });
    const delay = (node: string) => restart.find((c) => c.node === node)!.cause!.delayMs;
    expect(delay("myk8s-worker3") - delay("myk8s-worker")).toBe(4_000);
    const removed = changes.filter((c) => c.kind === "endpoint-removed" && c.summary?.startsWith("endpoint 10.10.2.2:80"));
    expect(removed).toHaveLength(4);
  });

  it("counts the seed's 100 requests from net-pod on the control plane: 35/33/32", async () => {
    const traffic = ok(await getEndpointTraffic(database().db, DEMO_CLUSTER, WEB, { from: new Date(end.getTime() - 3_600_000), to: end }));
    const controlPlane = traffic.nodes.find((n) => n.node === "myk8s-control-plane")!;
    expect(controlPlane.newConnections).toBe(100);
    expect(Object.fromEntries(controlPlane.endpoints.filter((e) => e.newConnections > 0).map((e) => [e.endpoint, e.newConnections]))).toEqual({
      "10.10.1.2:80": 35,
      "10.10.2.2:80": 33,
      "10.10.3.3:80": 32,
    });
    expect(traffic.overall.newConnections).toBe(100);
  });
});
