/**
 * How captures build a node's history on both databases: counters into endpoint traffic (resets, rewrites), captures
 * that arrive out of order, and kube events linked to the changes they caused.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildNftCapture, unchangedCaptureUpload } from "../../lib/capture/build-capture-upload";
import type { CaptureUpload } from "../../lib/contracts/capture";
import { ingestCapture } from "../../lib/server/captures/ingest-capture";
import { ingestKubeEvents } from "../../lib/server/kube-events/ingest-kube-events";
import { linkChangeCauses } from "../../lib/server/kube-events/link-change-causes";
import { providers, useTestDatabase } from "./support/databases";
import { asRequest, at, buildCapture, ingestWithResend, newCaptureId, renderedDump, repoRoot, seedDump, seedService } from "./support/ingest-fixtures";

const settings = { retentionDays: 3650 };
const WEB_SVC = "KUBE-SVC-KBDEBIL6IU6WL7RF";

describe.each(providers)("capture history on %s", (provider) => {
  const database = useTestDatabase(provider);
  let clusterSeq = 0;
  async function newCluster() {
    clusterSeq++;
    return database().db.cluster.create({ data: { name: `history-${clusterSeq}` } });
  }

  /** The upload of `base` at another time, with the web service's balancing counters set to `packets`. */
  function withWebCounters(base: CaptureUpload, capturedAt: string, packets: [number, number, number], svcDigest: string): CaptureUpload {
    return unchangedCaptureUpload({
      ...base,
      captureId: newCaptureId(),
      capturedAt,
      counters: packets.map((p, i) => ({ chainDigest: svcDigest, rule: i + 1, packets: p, bytes: p * 60 })),
    });
  }

  it("turns counter deltas into new connections per endpoint, counts a reset from zero and never goes negative", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const first = buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(0) });
    const svc = first.upload.manifest!.find((e) => e.chain === WEB_SVC)!.digest;
    await ingestWithResend(db, cluster.id, first);
    // The first capture has counters since boot but no window to put them in.
    expect(await db.endpointTraffic.count({ where: { node: { clusterId: cluster.id } } })).toBe(0);
    const samplesAfterFirst = await db.ruleCounterSample.count({ where: { node: { clusterId: cluster.id } } });
    expect(samplesAfterFirst).toBe(first.upload.counters!.length);

    // 10 and 7 more connections to the first two endpoints, none to the third (its counter is resent unchanged).
    await ingestCapture(db, cluster.id, asRequest(withWebCounters(first.upload, at(1), [45, 40, 32], svc)), settings);
    // kube-proxy's full resync rewrote the chain with the same body: the counters restart from zero.
    await ingestCapture(db, cluster.id, asRequest(withWebCounters(first.upload, at(2), [3, 2, 1], svc)), settings);

    const traffic = await db.endpointTraffic.findMany({ where: { node: { clusterId: cluster.id } }, orderBy: [{ windowStart: "asc" }, { endpoint: "asc" }] });
    expect(traffic.map((t) => [t.windowStart.toISOString(), t.windowEnd.toISOString(), t.servicePort, t.endpoint, t.newConnections])).toEqual([
      [at(0), at(1), "default/svc-clusterip:svc-webport", "10.10.1.2:80", 10],
      [at(0), at(1), "default/svc-clusterip:svc-webport", "10.10.2.2:80", 7],
      [at(1), at(2), "default/svc-clusterip:svc-webport", "10.10.1.2:80", 3],
      [at(1), at(2), "default/svc-clusterip:svc-webport", "10.10.2.2:80", 2],
      [at(1), at(2), "default/svc-clusterip:svc-webport", "10.10.3.3:80", 1],
    ]);
    expect(traffic.every((t) => t.newConnections > 0)).toBe(true);
    // Only changed counters become samples: 2 at the second capture, 3 at the third.
    expect(await db.ruleCounterSample.count({ where: { node: { clusterId: cluster.id } } })).toBe(samplesAfterFirst + 5);
  });

  it("counts a rewritten chain's counters from zero, not against the old body's", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const before = buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.3"])]), { node: "kind-worker", capturedAt: at(100) });
    const svcBefore = before.upload.manifest!.find((e) => e.chain === WEB_SVC)!.digest;
    await ingestWithResend(db, cluster.id, before, { upload: { ...before.upload, counters: [1, 2, 3].map((rule) => ({ chainDigest: svcBefore, rule, packets: 2, bytes: 120 })) } });

    const after = buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.7", "10.10.3.3"])]), { node: "kind-worker", capturedAt: at(101) });
    const svcAfter = after.upload.manifest!.find((e) => e.chain === WEB_SVC)!.digest;
    expect(svcAfter).not.toBe(svcBefore);
    await ingestWithResend(db, cluster.id, after, { upload: { ...after.upload, counters: [1, 2, 3].map((rule) => ({ chainDigest: svcAfter, rule, packets: 4, bytes: 240 })) } });

    const traffic = await db.endpointTraffic.findMany({ where: { node: { clusterId: cluster.id } }, orderBy: { endpoint: "asc" } });
    expect(traffic.map((t) => [t.endpoint, t.newConnections])).toEqual([
      ["10.10.1.2:80", 4],
      ["10.10.2.7:80", 4],
      ["10.10.3.3:80", 4],
    ]);
  });

  it("places captures that arrive late: joins, splits and inserts intervals in capturedAt order", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const r1 = renderedDump([seedService(["10.10.1.2", "10.10.2.2"])]);
    const r2 = renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.3"])]);
    const node = "kind-worker3";
    const send = (dump: string, minute: number) => ingestWithResend(db, cluster.id, buildCapture(dump, { node, capturedAt: at(200 + minute) }));
    const history = async () =>
      (await db.snapshot.findMany({ where: { node: { clusterId: cluster.id } }, orderBy: { firstSeen: "asc" }, include: { serviceChanges: { orderBy: { id: "asc" } }, _count: { select: { captures: true } } } })).map(
        (s) => ({
          from: s.firstSeen.toISOString(),
          to: s.lastSeen.toISOString(),
          endpoints: s.rulesetDigest === r1Digest ? 2 : 3,
          captures: s.captureCount,
          rows: s._count.captures,
          changes: s.serviceChanges.map((c) => `${c.kind}@${c.at.toISOString()}`),
        }),
      );

    const a = await send(r1, 0);
    const r1Digest = (await db.snapshot.findFirstOrThrow({ where: { id: Number((a.final as { accepted: { snapshotId: string } }).accepted.snapshotId) } })).rulesetDigest;
    await send(r1, 10);
    // Late, and inside [0, 10] with other rules: the interval splits around it.
    expect((await send(r2, 5)).final).toMatchObject({ ok: true, accepted: { newSnapshot: true, late: true, changes: 1 } });
    // Late, same rules as the snapshot that now covers its time: joins it.
    expect((await send(r2, 7)).final).toMatchObject({ ok: true, accepted: { newSnapshot: false, late: true } });
    // Before everything, with other rules: a new first snapshot; the old first one's change is derived against it.
    await send(r2, -5);
    expect(await history()).toEqual([
      { from: at(195), to: at(195), endpoints: 3, captures: 1, rows: 1, changes: [] },
      { from: at(200), to: at(200), endpoints: 2, captures: 1, rows: 1, changes: [`endpoint-removed@${at(200)}`] },
      { from: at(205), to: at(207), endpoints: 3, captures: 2, rows: 2, changes: [`endpoint-added@${at(205)}`] },
      { from: at(210), to: at(210), endpoints: 2, captures: 1, rows: 1, changes: [`endpoint-removed@${at(210)}`] },
    ]);
    // Late, just before the next snapshot and with its rules: that snapshot starts earlier, with its change.
    await send(r1, 9);
    expect((await history()).at(-1)).toEqual({ from: at(209), to: at(210), endpoints: 2, captures: 2, rows: 2, changes: [`endpoint-removed@${at(209)}`] });
  });

  it("links an endpoint change to the pod event that caused it, with the node's delay", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const node = "kind-worker";
    await ingestWithResend(db, cluster.id, buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.3"])]), { node, capturedAt: at(300) }));
    const pod = (type: "ADDED" | "DELETED", ip: string, minute: number, rv: string) => ({
      kind: "Pod" as const,
      type,
      observedAt: new Date(Date.parse(at(300)) + minute * 60_000).toISOString(),
      object: { metadata: { name: `whoami-${rv}`, namespace: "default", resourceVersion: rv }, status: { podIP: ip, podIPs: [{ ip }] } },
    });
    // The slice follows the pods, as the endpoint slice controller does: later, naming the new pod's IP too.
    const slice = {
      kind: "EndpointSlice" as const,
      type: "MODIFIED" as const,
      observedAt: new Date(Date.parse(at(300)) + 1.5 * 60_000).toISOString(),
      object: {
        metadata: { name: "whoami-abcde", namespace: "default", resourceVersion: "904" },
        endpoints: [{ addresses: ["10.10.1.2"] }, { addresses: ["10.10.2.7"] }, { addresses: ["10.10.3.3"] }],
      },
    };
    await ingestKubeEvents(db, cluster.id, {
      cluster: cluster.name,
      dropped: 0,
      events: [pod("DELETED", "10.10.2.2", 0.5, "901"), pod("ADDED", "10.10.2.7", 1, "902"), pod("ADDED", "10.10.3.3", -30, "903"), slice],
    });
    await ingestWithResend(db, cluster.id, buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.7", "10.10.3.3"])]), { node, capturedAt: at(302) }));

    const changes = await db.serviceChange.findMany({ where: { clusterId: cluster.id }, orderBy: { id: "asc" } });
    const linked = await linkChangeCauses(db, changes);
    expect(linked.map((l) => [l.change.kind, l.cause?.name, l.cause?.type, l.cause?.delayMs])).toEqual([
      ["endpoint-removed", "whoami-901", "DELETED", 90_000],
      ["endpoint-added", "whoami-902", "ADDED", 60_000],
    ]);
    // The pod is the cause even where its slice's update came later; without a pod event in the window the slice is.
    const [sliceOnly] = await linkChangeCauses(db, [{ ...changes[1]!, detail: { endpoint: { address: "10.10.1.2:80" } } }]);
    expect([sliceOnly?.cause?.kind, sliceOnly?.cause?.name, sliceOnly?.cause?.delayMs]).toEqual(["EndpointSlice", "whoami-abcde", 30_000]);
    // Outside the window (the 10.10.3.3 pod event is 32 minutes old at this change) no pod links; its slice does.
    const [stale] = await linkChangeCauses(db, [{ ...changes[1]!, detail: { endpoint: { address: "10.10.3.3:80" } } }]);
    expect(stale?.cause?.kind).toBe("EndpointSlice");
    const [unknown] = await linkChangeCauses(db, [{ ...changes[1]!, detail: { endpoint: { address: "10.10.9.9:80" } } }]);
    expect(unknown?.cause).toBeNull();
  });

  it("ingests an nftables listing and counts connections per endpoint chain", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const listing = readFileSync(path.join(repoRoot, "lib/nftables/fixtures/001-listing-counters.nft"), "utf8");
    const built = buildNftCapture(listing, { captureId: newCaptureId(), cluster: cluster.name, node: "nft-node", capturedAt: at(400), backend: "nftables" });
    if (!built.ok) throw new Error(JSON.stringify(built.error));
    const { final } = await ingestWithResend(db, cluster.id, built.capture);
    expect(final).toMatchObject({ ok: true, status: 201, accepted: { newSnapshot: true } });
    const snapshot = await db.snapshot.findFirstOrThrow({ where: { node: { clusterId: cluster.id } }, include: { ruleset: { include: { model: true } } } });
    expect(snapshot.ruleset.mode).toBe("nftables");
    expect((snapshot.ruleset.model!.model as { servicePorts: unknown[] }).servicePorts).toHaveLength(6);

    const more = unchangedCaptureUpload({
      ...built.capture.upload,
      captureId: newCaptureId(),
      capturedAt: at(401),
      counters: built.capture.upload.counters!.map((c) => ({ ...c, packets: c.packets + 5, bytes: c.bytes + 300 })),
    });
    expect(await ingestCapture(db, cluster.id, asRequest(more), settings)).toMatchObject({ ok: true, accepted: { newSnapshot: false } });
    const traffic = await db.endpointTraffic.findMany({ where: { node: { clusterId: cluster.id } } });
    expect(traffic.length).toBe(built.capture.upload.counters!.length);
    expect(traffic.every((t) => t.newConnections === 5)).toBe(true);
  });

  it("stores the conntrack sample once per capture time and resolves each flow's service port from the model", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const capture = buildCapture(seedDump("nodeport"), { node: "myk8s-control-plane", capturedAt: at(500) });
    const cpus = [
      { cpu: 0, found: 10, invalid: 2, insert: 0, insert_failed: 1, drop: 1, early_drop: 0, error: 0, search_restart: 4 },
      { cpu: 1, found: 5, invalid: 1, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, error: 0, search_restart: 1 },
    ];
    const flows = [
      { protocol: "tcp" as const, destination: "10.200.1.201:9000", endpoint: "10.10.1.2:80", state: "TIME_WAIT", count: 35 },
      { protocol: "tcp" as const, destination: "172.18.0.3:30007", endpoint: "10.10.2.2:80", state: "ESTABLISHED", count: 2 },
      { protocol: "udp" as const, destination: "10.200.1.10:53", endpoint: "10.10.0.2:53", state: "", count: 7 },
      { protocol: "tcp" as const, destination: "10.99.0.1:443", endpoint: "10.10.9.9:443", state: "ESTABLISHED", count: 1 },
    ];
    const upload = { ...capture.upload, conntrack: { count: 312, max: 131072, cpus, flows } };
    expect((await ingestWithResend(db, cluster.id, capture, { upload })).final).toMatchObject({ ok: true });
    // The IPv6 half of the same capture carries the same (per-node) sample: it is not stored twice.
    const v6 = buildCapture("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", { node: "myk8s-control-plane", capturedAt: at(500), family: "ipv6", captureId: capture.upload.captureId });
    expect((await ingestWithResend(db, cluster.id, v6, { upload: { ...v6.upload, conntrack: { count: 312, max: 131072, cpus, flows: [] } } })).final).toMatchObject({ ok: true });

    const samples = await db.conntrackSample.findMany({ where: { node: { clusterId: cluster.id } } });
    expect(samples.map((x) => ({ count: x.count, max: x.max, found: x.found, invalid: x.invalid, insertFailed: x.insertFailed, drop: x.drop, searchRestart: x.searchRestart }))).toEqual([
      { count: 312, max: 131072, found: 15n, invalid: 3n, insertFailed: 1n, drop: 1n, searchRestart: 5n },
    ]);
    expect(samples[0]!.perCpu).toEqual([
      { cpu: 0, found: 10, invalid: 2, insert: 0, insertFailed: 1, drop: 1, earlyDrop: 0, error: 0, searchRestart: 4 },
      { cpu: 1, found: 5, invalid: 1, insert: 0, insertFailed: 0, drop: 0, earlyDrop: 0, error: 0, searchRestart: 1 },
    ]);
    const stored = await db.flowAggregate.findMany({ where: { node: { clusterId: cluster.id } }, orderBy: { destination: "asc" } });
    expect(stored.map((f) => [f.destination, f.servicePort, f.count])).toEqual([
      ["10.200.1.10:53", "kube-system/kube-dns:dns", 7],
      ["10.200.1.201:9000", "default/svc-clusterip:svc-webport", 35],
      ["10.99.0.1:443", null, 1],
      ["172.18.0.3:30007", "default/svc-clusterip:svc-webport", 2],
    ]);
  });

  it("refuses capture times in the future and beyond retention, storing nothing", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const now = new Date();
    const capture = buildCapture(seedDump("clusterip"), { node: "n", capturedAt: new Date(now.getTime() + 6 * 60_000).toISOString() });
    expect(await ingestCapture(db, cluster.id, asRequest(capture.upload), { retentionDays: 30, now })).toMatchObject({
      ok: false,
      error: { status: 400, error: "capturedAt is more than 5 minutes in the future; check the node's clock", detail: { field: "capturedAt" } },
    });
    const old = { ...capture.upload, capturedAt: new Date(now.getTime() - 31 * 86_400_000).toISOString() };
    expect(await ingestCapture(db, cluster.id, asRequest(old), { retentionDays: 30, now })).toMatchObject({
      ok: false,
      error: { status: 400, error: "capturedAt is older than the retention window of 30 days" },
    });
    // 4 minutes ahead is clock skew, not an error.
    const skewed = buildCapture(seedDump("clusterip"), { node: "n", capturedAt: new Date(now.getTime() + 4 * 60_000).toISOString() });
    expect((await ingestWithResend(db, cluster.id, skewed, { now, retentionDays: 30 })).final).toMatchObject({ ok: true });
    expect(await db.node.count({ where: { clusterId: cluster.id } })).toBe(1);
  });
});
