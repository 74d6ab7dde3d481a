/**
 * Read API, services and traffic: every service port as each node programs it, whether the nodes agree, the
 * connections the rules counted per endpoint, and conntrack over time — on both databases, from history stored by
 * the capture use case.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildNftCapture, unchangedCaptureUpload } from "../../lib/capture/build-capture-upload";
import { getConntrackSeries } from "../../lib/server/queries/get-conntrack-series";
import { getEndpointTraffic, type EndpointTraffic } from "../../lib/server/queries/get-endpoint-traffic";
import { getServicePort } from "../../lib/server/queries/get-service-port";
import { listServicePorts, type ServicePortList, type ServicePortView } from "../../lib/server/queries/list-service-ports";
import { isNotFound, type NotFound } from "../../lib/server/queries/not-found";
import { providers, useTestDatabase } from "./support/databases";
import { recordPodRestartHistory, recordSeedHistory, SEED_NODES, WEB_PORT } from "./support/history-fixtures";
import { at, ingestWithResend, newCaptureId, repoRoot } from "./support/ingest-fixtures";

/** An nftables node's capture: kube-proxy's `nft list table ip kube-proxy` with counters (lib/nftables fixture). */
const nftListing = readFileSync(path.join(repoRoot, "lib/nftables/fixtures/001-listing-counters.nft"), "utf8");

/** The value of a query that found what it was asked for. */
function ok<T>(value: T | NotFound): Exclude<T, NotFound> {
  if (isNotFound(value)) throw new Error(value.message);
  return value as Exclude<T, NotFound>;
}

const web = (list: ServicePortList) => list.servicePorts.find((p) => p.name === WEB_PORT) as ServicePortView;
const round = (share: number) => Math.round(share * 1e6) / 1e6;

describe.each(providers)("read API: service ports and traffic on %s", (provider) => {
  const database = useTestDatabase(provider);
  beforeAll(async () => {
    await recordSeedHistory(database().db, "kind");
    await recordPodRestartHistory(database().db, "lab");
    const { db } = database();
    const cluster = await db.cluster.create({ data: { name: "nft" } });
    const built = buildNftCapture(nftListing, { captureId: newCaptureId(), cluster: "nft", node: "nft-node", capturedAt: at(200), backend: "nftables" });
    if (!built.ok) throw new Error(JSON.stringify(built.error));
    const { final } = await ingestWithResend(db, cluster.id, built.capture);
    if (!final.ok) throw new Error(JSON.stringify(final.error));
    // A minute later every counted endpoint received five more connections.
    const later = unchangedCaptureUpload({
      ...built.capture.upload,
      captureId: newCaptureId(),
      capturedAt: at(201),
      counters: (built.capture.upload.counters ?? []).map((c) => ({ ...c, packets: c.packets + 5, bytes: c.bytes + 300 })),
    });
    const second = await ingestWithResend(db, cluster.id, built.capture, { upload: later });
    if (!second.final.ok) throw new Error(JSON.stringify(second.final.error));
  }, 240_000);

  it("shows the seed's service on 4 nodes with 1/3 shares each, and the nodes agreeing 4/4", async () => {
    const list = ok(await listServicePorts(database().db, "kind"));
    expect(list.servicePorts.map((p) => `${p.name}/${p.protocol}`)).toEqual([
      "default/kubernetes:https/tcp",
      "default/svc-clusterip:svc-webport/tcp",
      "kube-system/kube-dns:dns/udp",
      "kube-system/kube-dns:dns-tcp/tcp",
      "kube-system/kube-dns:metrics/tcp",
      "kube-system/kube-ops-view:http/tcp",
    ]);
    expect(list.total).toBe(6);
    const port = web(list);
    expect(port).toMatchObject({ segment: "default~svc-clusterip:svc-webport", namespace: "default", service: "svc-clusterip", portName: "svc-webport" });
    expect(port.agreement).toEqual({ agreeing: 4, nodes: 4 });
    expect(port.nodes.map((n) => n.node)).toEqual([...SEED_NODES]);
    for (const node of port.nodes) {
      expect(node).toMatchObject({ present: true, agrees: true, svcChain: "KUBE-SVC-KBDEBIL6IU6WL7RF", extChain: "KUBE-EXT-KBDEBIL6IU6WL7RF", nodePorts: [30007] });
      expect(node.clusterIPs.join(" ")).toContain("10.200.1.201");
      expect(node.endpoints.map((e) => [e.address, e.sepChain, e.probabilityText, round(e.share)])).toEqual([
        ["10.10.1.2:80", "KUBE-SEP-TBW2IYJKUCAC7GB3", "0.33333333349", 0.333333],
        ["10.10.2.2:80", "KUBE-SEP-DOIEFYKPESCDTYCH", "0.50000000000", 0.333333],
        ["10.10.3.3:80", "KUBE-SEP-K7ALM6KJRBAYOHKX", null, 0.333333],
      ]);
    }
  });

  it("counts the connections each node sent to each endpoint, from the balancing rules' counters", async () => {
    const { db } = database();
    const packets = (list: ServicePortList) => Object.fromEntries(web(list).nodes.map((n) => [n.node, n.endpoints.map((e) => e.packets)]));
    // The note's 100 curls ran on the control plane: 35 / 33 / 32. The other nodes sent none.
    expect(packets(ok(await listServicePorts(db, "kind", { at: new Date(at(0)) })))).toEqual({
      "myk8s-control-plane": [35, 33, 32],
      "myk8s-worker": [0, 0, 0],
      "myk8s-worker2": [0, 0, 0],
      "myk8s-worker3": [0, 0, 0],
    });
    // A minute later the same 100 curls again; the counters keep counting.
    expect(packets(ok(await listServicePorts(db, "kind", { at: new Date(at(5)) })))["myk8s-control-plane"]).toEqual([70, 66, 64]);
    // Making the service a NodePort rewrote its chains: the counters started over, and counted the repeated test.
    const now = web(ok(await listServicePorts(db, "kind")));
    expect(now.nodes[0]).toMatchObject({ node: "myk8s-control-plane", packets: 100 });
    expect(now.nodes[0]?.endpoints.map((e) => e.packets)).toEqual([35, 33, 32]);
  });

  it("shows a node whose rules lag as 3 of 4 agreeing, at the time it lagged", async () => {
    const { db } = database();
    const lagging = web(ok(await listServicePorts(db, "kind", { at: new Date(at(15)) })));
    expect(lagging.agreement).toEqual({ agreeing: 3, nodes: 4 });
    expect(lagging.nodes.map((n) => [n.node, n.agrees, n.nodePorts])).toEqual([
      ["myk8s-control-plane", true, [30007]],
      ["myk8s-worker", true, [30007]],
      ["myk8s-worker2", true, [30007]],
      ["myk8s-worker3", false, []],
    ]);
    // Services the NodePort change did not touch agree everywhere.
    const dns = ok(await listServicePorts(db, "kind", { at: new Date(at(15)), q: "kube-dns" }));
    expect(dns.servicePorts.map((p) => [p.name, p.agreement.agreeing])).toEqual([
      ["kube-system/kube-dns:dns", 4],
      ["kube-system/kube-dns:dns-tcp", 4],
      ["kube-system/kube-dns:metrics", 4],
    ]);

    // The pod restart: worker3 still sends traffic to the dead pod's address for three minutes.
    const restart = ok(await getServicePort(db, "lab", WEB_PORT, { at: new Date(at(106)) }));
    expect(restart.agreement).toEqual({ agreeing: 3, nodes: 4 });
    const worker3 = restart.nodes.find((n) => n.node === "myk8s-worker3");
    expect(worker3).toMatchObject({ agrees: false, present: true });
    expect(worker3?.endpoints.map((e) => e.address)).toContain("10.10.2.2:80");
    expect(restart.nodes.find((n) => n.node === "myk8s-worker")?.endpoints.map((e) => e.address)).toContain("10.10.2.5:80");
    expect(ok(await getServicePort(db, "lab", WEB_PORT)).agreement).toEqual({ agreeing: 4, nodes: 4 });
  });

  it("finds service ports by name, address, endpoint and node port, and pages them", async () => {
    const { db } = database();
    const names = async (q: string) => ok(await listServicePorts(db, "kind", { q })).servicePorts.map((p) => p.name);
    expect(await names("ops-view")).toEqual(["kube-system/kube-ops-view:http"]);
    expect(await names("10.10.0.5")).toEqual(["kube-system/kube-ops-view:http"]);
    expect(await names("10.200.1.201")).toEqual([WEB_PORT]);
    expect(await names("30007")).toEqual([WEB_PORT]);
    expect(await names("no-such-service")).toEqual([]);
    const page = ok(await listServicePorts(db, "kind", { limit: 2, offset: 2 }));
    expect([page.total, page.servicePorts.map((p) => p.name)]).toEqual([6, ["kube-system/kube-dns:dns", "kube-system/kube-dns:dns-tcp"]]);
  });

  it("answers NotFound for an unknown cluster or service port", async () => {
    const { db } = database();
    expect(await listServicePorts(db, "nope")).toMatchObject({ notFound: "cluster" });
    expect(await getServicePort(db, "kind", "default/nope:http")).toMatchObject({
      notFound: "service-port",
      message: 'no node of cluster "kind" has service port "default/nope:http"',
    });
  });

  it("compares the configured shares with the new connections counted per endpoint, per node and overall", async () => {
    const traffic = ok(await getEndpointTraffic(database().db, "kind", WEB_PORT, { from: new Date(at(-2)), to: new Date(at(30)), bucketSeconds: 60 })) as EndpointTraffic;
    expect(traffic.bucketSeconds).toBe(60);
    expect(traffic.buckets[0]).toEqual(new Date(at(-2)));
    expect(traffic.buckets).toHaveLength(33);
    const controlPlane = traffic.nodes.find((n) => n.node === "myk8s-control-plane");
    // Between minute 0 and 1 the repeated curl test (35/33/32); between 1 and 10 the test against the node port.
    expect(controlPlane?.endpoints.map((e) => [e.endpoint, e.newConnections, round(e.configuredShare ?? 0), e.observedShare])).toEqual([
      ["10.10.1.2:80", 70, 0.333333, 0.35],
      ["10.10.2.2:80", 66, 0.333333, 0.33],
      ["10.10.3.3:80", 64, 0.333333, 0.32],
    ]);
    // Each window is counted when its closing capture read the counters: minute 1 and minute 10.
    const first = controlPlane?.endpoints[0]?.series ?? [];
    expect([first[3], first[12], first.reduce((a, b) => a + b, 0)]).toEqual([35, 35, 70]);
    // Workers sent nothing: configured shares, no observed ones.
    expect(traffic.nodes.find((n) => n.node === "myk8s-worker")).toMatchObject({ newConnections: 0 });
    expect(traffic.nodes.find((n) => n.node === "myk8s-worker")?.endpoints.map((e) => e.observedShare)).toEqual([null, null, null]);
    expect(traffic.overall.newConnections).toBe(200);
    expect(traffic.overall.endpoints.map((e) => [e.endpoint, e.newConnections, round(e.configuredShare ?? 0), e.observedShare])).toEqual([
      ["10.10.1.2:80", 70, 0.333333, 0.35],
      ["10.10.2.2:80", 66, 0.333333, 0.33],
      ["10.10.3.3:80", 64, 0.333333, 0.32],
    ]);
  });

  it("charts conntrack fill and the increase of its statistics between captures", async () => {
    const { db } = database();
    const series = ok(await getConntrackSeries(db, "kind", "myk8s-control-plane", { from: new Date(at(-5)), to: new Date(at(30)), bucketSeconds: 60 }));
    expect(series.points.map((p) => [p.at.toISOString(), p.count, p.max, p.samples])).toEqual([
      [at(0), 180, 262_144, 1],
      [at(1), 260, 262_144, 1],
      [at(10), 90, 262_144, 1],
    ]);
    expect(series.points[1]?.fill).toBeCloseTo(260 / 262_144, 9);
    expect(series.points.map((p) => p.increase?.insertFailed ?? null)).toEqual([null, 100, 30]);
    expect(series.points[0]?.totals.insertFailed).toBe(2);
    const coarse = ok(await getConntrackSeries(db, "kind", "myk8s-control-plane", { from: new Date(at(-5)), to: new Date(at(30)), bucketSeconds: 3_600 }));
    // One bucket or two (the hour may turn between minute 0 and 10): the peak fill survives either way.
    expect(Math.max(...coarse.points.map((p) => p.count))).toBe(260);
    expect(await getConntrackSeries(db, "kind", "myk8s-worker9", { from: new Date(at(0)), to: new Date(at(1)) })).toMatchObject({ notFound: "node" });
  });

  it("reads an nftables node's endpoints and counts from its endpoint chains' dnat counters", async () => {
    const { db } = database();
    const packets = async (at_: string) => {
      const list = ok(await listServicePorts(db, "nft", { at: new Date(at_) }));
      return Object.fromEntries(list.servicePorts.map((p) => [p.name, p.nodes[0]?.endpoints.map((e) => [e.address, e.packets])]));
    };
    const first = await packets(at(200));
    expect(first["ns1/svc1:p80"]).toEqual([["10.180.0.1:80", 3]]);
    expect(first["ns4/svc4:p80"]).toEqual([
      ["10.180.0.4:80", 3],
      ["10.180.0.5:80", 5],
    ]);
    expect(first["ns2/svc2:p80"]).toEqual([["10.180.0.2:80", 0]]);
    const later = await packets(at(201));
    expect(later["ns1/svc1:p80"]).toEqual([["10.180.0.1:80", 8]]);
    expect(later["ns4/svc4:p80"]).toEqual([
      ["10.180.0.4:80", 8],
      ["10.180.0.5:80", 10],
    ]);
    const svc4 = ok(await getServicePort(db, "nft", "ns4/svc4:p80"));
    expect(svc4.nodes[0]).toMatchObject({ node: "nft-node", svcChain: "service-LAUZTJTB-ns4/svc4/tcp/p80", agrees: true });
    expect(svc4.nodes[0]?.endpoints.map((e) => round(e.share))).toEqual([0.5, 0.5]);
  });
});
