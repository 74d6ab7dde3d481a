import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { providers, useTestDatabase } from "./support/databases";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus");

/** The `-A` lines of one chain in a corpus dump, as a chain body is stored (counters already absent there). */
function chainText(dump: string, chain: string): string {
  const text = readFileSync(path.join(corpus, "iptables", dump), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith(`-A ${chain} `))
    .join("\n");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

// The seed's service (DESIGN.md): three whoami pods behind svc-clusterip, as corpus dump 006 writes svc1.
const SVC = "KUBE-SVC-XPGD46QRK7WJZT7O";
const SEP = "KUBE-SEP-SXIVWICOYRO3J4NJ";
const DUMP = "006_TestOverallIPTablesRules.txt";

describe.each(providers)("every model on %s", (provider) => {
  const database = useTestDatabase(provider);

  /** A cluster with one node, the parent rows most models hang from. */
  async function clusterWithNode(name: string) {
    const { db } = database();
    const at = new Date("2026-01-05T10:00:00.000Z");
    const cluster = await db.cluster.create({ data: { name } });
    const node = await db.node.create({
      data: { clusterId: cluster.id, name: "kind-worker", role: "worker", firstSeen: at, lastSeen: at, lastBackend: "iptables-nft", lastMode: "iptables" },
    });
    return { cluster, node, at };
  }

  it("round-trips rules, rulesets, snapshots and captures, with chain bodies from the corpus", async () => {
    const { db } = database();
    const { node, at } = await clusterWithNode("round-trip");
    const svcText = chainText(DUMP, SVC);
    const sepText = chainText(DUMP, SEP);
    expect(svcText).toContain("-j KUBE-SEP-SXIVWICOYRO3J4NJ");

    const bodies = [
      { digest: sha256(`nat\n${svcText}`), table: "nat", text: svcText, ruleCount: svcText.split("\n").length },
      { digest: sha256(`nat\n${sepText}`), table: "nat", text: sepText, ruleCount: sepText.split("\n").length },
    ];
    await db.chainBody.createMany({ data: bodies });
    const rulesetDigest = sha256(bodies.map((body) => body.digest).join("\n"));
    await db.ruleset.create({
      data: {
        digest: rulesetDigest,
        family: "ipv4",
        mode: "iptables",
        chainCount: 2,
        depth: 0,
        deltaRows: 0,
        chains: {
          create: [
            { table: "nat", chain: SEP, policy: null, chainDigest: bodies[1]?.digest },
            { table: "nat", chain: SVC, policy: null, chainDigest: bodies[0]?.digest },
          ],
        },
        model: { create: { builderVersion: 1, model: { mode: "iptables", family: "ipv4", servicePorts: [{ name: "ns1/svc1:p80", share: 1 / 3 }], problems: [] } } },
      },
    });
    const snapshot = await db.snapshot.create({
      data: { nodeId: node.id, rulesetDigest, backend: "iptables-nft", family: "ipv4", firstSeen: at, lastSeen: at },
    });
    await db.capture.create({ data: { nodeId: node.id, captureId: "c-0001", family: "ipv4", capturedAt: at, snapshotId: snapshot.id } });

    const read = await db.ruleset.findUniqueOrThrow({
      where: { digest: rulesetDigest },
      include: { chains: { include: { body: true }, orderBy: { chain: "asc" } }, model: true, snapshots: { include: { captures: true } } },
    });
    expect(read.chains.map((chain) => [chain.chain, chain.body?.text])).toEqual([
      [SEP, sepText],
      [SVC, svcText],
    ]);
    expect(read.model?.model).toEqual({ mode: "iptables", family: "ipv4", servicePorts: [{ name: "ns1/svc1:p80", share: 1 / 3 }], problems: [] });
    expect(read.snapshots[0]).toMatchObject({ captureCount: 1, backend: "iptables-nft", firstSeen: at, lastSeen: at });
    expect(read.snapshots[0]?.captures).toEqual([
      expect.objectContaining({ captureId: "c-0001", family: "ipv4", capturedAt: at, receivedAt: expect.any(Date) }),
    ]);
  });

  it("round-trips counters, conntrack and flows with 64-bit values intact", async () => {
    const { db } = database();
    const { node, at } = await clusterWithNode("time-series");
    // Byte counters pass 2^53 on a busy node; a float would round them.
    const bytes = 2n ** 53n + 7n;
    await db.ruleCounterSample.create({ data: { nodeId: node.id, family: "ipv4", capturedAt: at, chain: SVC, position: 1, packets: 35n, bytes } });
    await db.endpointTraffic.create({
      data: { nodeId: node.id, servicePort: "ns1/svc1:p80", endpoint: "10.180.0.1:80", windowStart: at, windowEnd: new Date(at.getTime() + 60_000), newConnections: 35 },
    });
    const perCpu = [{ cpu: 0, found: 12, invalid: 1, insert: 0, insertFailed: 0, drop: 0, earlyDrop: 0, error: 0, searchRestart: 3 }];
    await db.conntrackSample.create({
      data: {
        nodeId: node.id, capturedAt: at, count: 212, max: 262144, found: 12n, invalid: 1n, insert: 0n, insertFailed: 0n,
        drop: 0n, earlyDrop: 0n, error: 0n, searchRestart: 3n, perCpu,
      },
    });
    await db.flowAggregate.createMany({
      data: [
        { nodeId: node.id, capturedAt: at, destination: "172.30.0.41:80", endpoint: "10.180.0.1:80", protocol: "tcp", state: "TIME_WAIT", count: 33, servicePort: "ns1/svc1:p80" },
        { nodeId: node.id, capturedAt: at, destination: "172.30.0.10:53", endpoint: "10.180.0.9:53", protocol: "udp", state: "", count: 2 },
      ],
    });

    expect(await db.ruleCounterSample.findFirstOrThrow({ where: { nodeId: node.id } })).toMatchObject({ packets: 35n, bytes });
    expect(await db.endpointTraffic.findFirstOrThrow({ where: { nodeId: node.id } })).toMatchObject({ newConnections: 35, endpoint: "10.180.0.1:80" });
    expect(await db.conntrackSample.findFirstOrThrow({ where: { nodeId: node.id } })).toMatchObject({ count: 212, max: 262144, searchRestart: 3n, perCpu });
    const flows = await db.flowAggregate.findMany({ where: { nodeId: node.id }, orderBy: { count: "desc" } });
    expect(flows.map((flow) => [flow.state, flow.count, flow.servicePort])).toEqual([
      ["TIME_WAIT", 33, "ns1/svc1:p80"],
      ["", 2, null],
    ]);
  });

  it("round-trips tokens, service changes and kube events with their IPs", async () => {
    const { db } = database();
    const { cluster, node, at } = await clusterWithNode("events");
    const tokenHash = sha256("nw_secret_token");
    await db.ingestToken.create({ data: { clusterId: cluster.id, tokenHash, label: "kind lab" } });
    await db.ingestToken.update({ where: { tokenHash }, data: { revokedAt: at } });
    expect(await db.ingestToken.findUniqueOrThrow({ where: { tokenHash } })).toMatchObject({ label: "kind lab", revokedAt: at });

    await db.chainBody.create({ data: { digest: sha256("nat\n"), table: "nat", text: "", ruleCount: 0 } });
    await db.ruleset.create({ data: { digest: sha256("empty"), family: "ipv4", mode: "iptables", chainCount: 0, depth: 0, deltaRows: 0 } });
    const snapshot = await db.snapshot.create({
      data: { nodeId: node.id, rulesetDigest: sha256("empty"), backend: "iptables-nft", family: "ipv4", firstSeen: at, lastSeen: at },
    });
    const detail = { endpoint: "10.180.0.7:80", share: { before: 0.5, after: 1 / 3 } };
    await db.serviceChange.create({ data: { clusterId: cluster.id, nodeId: node.id, snapshotId: snapshot.id, servicePort: "ns1/svc1:p80", kind: "endpoint-added", detail, at } });
    expect(await db.serviceChange.findMany({ where: { clusterId: cluster.id, servicePort: "ns1/svc1:p80" } })).toEqual([
      expect.objectContaining({ kind: "endpoint-added", detail, at, nodeId: node.id }),
    ]);

    const pod = { metadata: { name: "whoami-7d9f", namespace: "default" }, status: { podIPs: [{ ip: "10.180.0.7" }, { ip: "fd00::7" }] } };
    await db.kubeEvent.create({
      data: {
        clusterId: cluster.id, kind: "Pod", namespace: "default", name: "whoami-7d9f", type: "ADDED", resourceVersion: "4711", at, object: pod,
        ips: { create: [{ ip: "10.180.0.7", at }, { ip: "fd00::7", at }] },
      },
    });
    await db.kubeEvent.create({
      data: { clusterId: cluster.id, kind: "Node", namespace: "", name: "kind-worker", type: "MODIFIED", resourceVersion: "4712", at, object: {} },
    });
    // An endpoint address from the rules leads to the pod's events.
    const byIp = await db.kubeEventIp.findMany({ where: { ip: "10.180.0.7", at: { lte: at } }, include: { event: true } });
    expect(byIp.map((row) => [row.event.kind, row.event.name, row.event.object])).toEqual([["Pod", "whoami-7d9f", pod]]);
  });

  it("keeps one chain body per digest and one capture per node, id and family", async () => {
    const { db } = database();
    const { node, at } = await clusterWithNode("uniqueness");
    const text = chainText(DUMP, SEP);
    const digest = sha256(`nat\n${text}`);
    await db.chainBody.upsert({ where: { digest }, create: { digest, table: "nat", text, ruleCount: 2 }, update: {} });
    // A second node sending the same body: ingest's write is a no-op, a plain insert is refused.
    await db.chainBody.upsert({ where: { digest }, create: { digest, table: "nat", text, ruleCount: 2 }, update: {} });
    await expect(db.chainBody.create({ data: { digest, table: "nat", text, ruleCount: 2 } })).rejects.toMatchObject({ code: "P2002" });
    expect(await db.chainBody.count({ where: { digest } })).toBe(1);

    await db.ruleset.create({ data: { digest: sha256("r"), family: "ipv4", mode: "iptables", chainCount: 0, depth: 0, deltaRows: 0 } });
    const snapshot = await db.snapshot.create({ data: { nodeId: node.id, rulesetDigest: sha256("r"), backend: "iptables-nft", family: "ipv4", firstSeen: at, lastSeen: at } });
    const capture = { nodeId: node.id, captureId: "2026-01-05T10:00:00Z#1", family: "ipv4", capturedAt: at, snapshotId: snapshot.id };
    await db.capture.create({ data: capture });
    // A retried upload carries the same capture id: refused, so the snapshot is not extended twice.
    await expect(db.capture.create({ data: capture })).rejects.toMatchObject({ code: "P2002" });
    // The IPv6 half of the same capture, and the same id from another node, are distinct captures.
    await db.capture.create({ data: { ...capture, family: "ipv6" } });
    const other = await db.node.create({ data: { clusterId: node.clusterId, name: "kind-worker2", role: "worker", firstSeen: at, lastSeen: at } });
    await db.snapshot.create({ data: { nodeId: other.id, rulesetDigest: sha256("r"), backend: "iptables-nft", family: "ipv4", firstSeen: at, lastSeen: at } });
    await db.capture.create({ data: { ...capture, nodeId: other.id } });
    expect(await db.capture.count({ where: { captureId: capture.captureId } })).toBe(3);

    await expect(db.cluster.create({ data: { name: "uniqueness" } })).rejects.toMatchObject({ code: "P2002" });
    await expect(
      db.node.create({ data: { clusterId: node.clusterId, name: "kind-worker", role: "worker", firstSeen: at, lastSeen: at } }),
    ).rejects.toMatchObject({ code: "P2002" });
  });

  it("stores a retried kube event once, and deletes a cluster's history with the cluster", async () => {
    const { db } = database();
    const { cluster, node, at } = await clusterWithNode("cascade");
    const event = { clusterId: cluster.id, kind: "EndpointSlice", namespace: "default", name: "svc-clusterip-abcde", type: "MODIFIED", resourceVersion: "99", at, object: {} };
    await db.kubeEvent.create({ data: event });
    await expect(db.kubeEvent.create({ data: event })).rejects.toMatchObject({ code: "P2002" });
    await db.conntrackSample.create({
      data: { nodeId: node.id, capturedAt: at, count: 1, max: 2, found: 0n, invalid: 0n, insert: 0n, insertFailed: 0n, drop: 0n, earlyDrop: 0n, error: 0n, searchRestart: 0n, perCpu: [] },
    });

    await db.cluster.delete({ where: { id: cluster.id } });
    expect(await db.node.count({ where: { clusterId: cluster.id } })).toBe(0);
    expect(await db.kubeEvent.count({ where: { clusterId: cluster.id } })).toBe(0);
    expect(await db.conntrackSample.count({ where: { nodeId: node.id } })).toBe(0);
  });
});
