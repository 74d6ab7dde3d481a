// Runs as root: the seed scenario end to end — the lab cluster, a natwatch app (built if the checkout has none),
// real node agents and kube-inventory — with 600 requests through the ClusterIP instead of the seed's 100.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLabCluster, type LabCluster } from "../../lab/cluster/cluster";
import { CLUSTER_NAME } from "../../lab/cluster/topology";
import { startCollectors, type LabCollectors } from "../../lab/collectors";
import { issueToken, startLabServer } from "../../lab/natwatch-server";
import { readEndpointTraffic, readNodeCaptures, waitForCaptures, type EndpointTrafficRead } from "../../lab/scenarios/read-api";
import type { ScenarioResult, StepRecord } from "../../lab/scenarios/scenario-result";
import { runSeedScenario } from "../../lab/scenarios/seed";
import { requireRoot } from "./support/netns";

const REQUESTS = 600;
const NODES = ["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"];

interface ServicePortRead {
  agreement: { agreeing: number; nodes: number };
  nodes: { node: string; agrees: boolean; nodePorts: number[]; endpoints: { address: string }[] }[];
}

let cluster: LabCluster;
let collectors: LabCollectors | undefined;
let server = "";
let result: ScenarioResult;
let trafficAfterCurl: EndpointTrafficRead;
const natAfterRestart = new Map<string, string>();
let servicePortAtEnd: ServicePortRead;

const stepOf = (name: string): StepRecord => {
  const step = result.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name}`);
  return step;
};

beforeAll(async () => {
  requireRoot();
  cluster = await startLabCluster({ log: () => undefined });
  const app = await startLabServer(cluster.processes, cluster.workDir);
  server = app.url;
  const token = await issueToken(app.databaseUrl, CLUSTER_NAME);
  collectors = await startCollectors(cluster, { server, token, intervalSeconds: 5 });
  await waitForCaptures(server, new Map(NODES.map((n) => [n, 1])), 120_000);
  result = await runSeedScenario(cluster, {
    server,
    clusterIpRequests: REQUESTS,
    async afterStep(step, lab) {
      if (step.name === "curl-clusterip") trafficAfterCurl = await readEndpointTraffic(server, "default/svc-clusterip:svc-webport");
      if (step.name === "restart-webpod2") {
        for (const node of NODES) natAfterRestart.set(node, (await lab.execInNode(node, "iptables-save", ["-t", "nat"])).stdout);
      }
      if (step.name === "stuck-kube-proxy") {
        const response = await fetch(`${server}/api/v1/clusters/${CLUSTER_NAME}/services/default~svc-clusterip:svc-webport`);
        servicePortAtEnd = (await response.json()) as ServicePortRead;
      }
    },
  });
}, 420_000);

afterAll(async () => {
  await collectors?.stop();
  await cluster?.stop();
}, 60_000);

describe("the seed scenario in the lab", () => {
  it("spreads requests through the ClusterIP over the three pods, each between 25% and 42%", () => {
    const curl = stepOf("curl-clusterip").curl!;
    expect(curl.errors).toEqual({});
    expect(Object.keys(curl.hostnames).sort()).toEqual(["webpod1", "webpod2", "webpod3"]);
    expect(Object.values(curl.hostnames).reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    for (const count of Object.values(curl.hostnames)) {
      expect(count).toBeGreaterThanOrEqual(REQUESTS * 0.25);
      expect(count).toBeLessThanOrEqual(REQUESTS * 0.42);
    }
  });

  it("derives from the nat counters the same connections per endpoint as the replies' Hostnames", () => {
    const curl = stepOf("curl-clusterip").curl!;
    const controlPlane = trafficAfterCurl.nodes.find((n) => n.node === "myk8s-control-plane")!;
    const derived = Object.fromEntries(controlPlane.endpoints.filter((e) => e.newConnections > 0).map((e) => [e.endpoint, e.newConnections]));
    expect(derived).toEqual(curl.endpoints);
    // net-pod runs on the control plane: no other node's nat table saw those connections.
    for (const node of trafficAfterCurl.nodes.filter((n) => n.node !== "myk8s-control-plane")) expect(node.newConnections).toBe(0);
  });

  it("replaces webpod2's KUBE-SEP chain on every node, the lagging one included", () => {
    const details = stepOf("restart-webpod2").details as { oldIp: string; newIp: string; oldSepChain: string; newSepChain: string };
    expect(details.newIp).not.toBe(details.oldIp);
    for (const node of NODES) {
      const saved = natAfterRestart.get(node)!;
      expect(saved).toContain(`:${details.newSepChain} `);
      expect(saved).toContain(`--to-destination ${details.newIp}:80`);
      expect(saved).not.toContain(details.oldSepChain);
    }
    expect(Object.keys(stepOf("restart-webpod2").appliedAt).sort()).toEqual(NODES);
  });

  it("has captures of all four nodes in the app at every step", async () => {
    for (const step of result.steps) {
      expect(Object.keys(step.capturedAt).sort()).toEqual(NODES);
      for (const at of Object.values(step.capturedAt)) expect(Date.parse(at)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    }
    const nodes = await readNodeCaptures(server);
    expect(nodes.map((n) => n.name).sort()).toEqual(NODES);
    for (const node of nodes) expect(node.captures).toBeGreaterThanOrEqual(result.steps.length);
  });

  it("shows the stuck node's drift: it alone still sends connections to the deleted webpod1", () => {
    const removed = (stepOf("stuck-kube-proxy").details as { removedEndpoint: string }).removedEndpoint;
    expect(servicePortAtEnd.agreement).toEqual({ agreeing: 3, nodes: 4 });
    for (const node of servicePortAtEnd.nodes) {
      const addresses = node.endpoints.map((e) => e.address);
      expect(node.nodePorts).toEqual([30007]);
      if (node.node === result.stuckNode.name) {
        expect(node.agrees).toBe(false);
        expect(addresses).toContain(removed);
      } else {
        expect(node.agrees).toBe(true);
        expect(addresses).not.toContain(removed);
        expect(addresses).toHaveLength(2);
      }
    }
  });
});
