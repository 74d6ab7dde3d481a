/**
 * The capture use case on both databases: the 409 → resend protocol, dedup of bodies and rulesets across nodes,
 * unchanged captures, retries, derived service changes, counters and conntrack.
 */
import { describe, expect, it } from "vitest";
import { unchangedCaptureUpload, withChainBodies } from "../../lib/capture/build-capture-upload";
import { ingestCapture } from "../../lib/server/captures/ingest-capture";
import type { ServiceChange } from "../../lib/diff/types";
import type { ProxyModel } from "../../lib/kube-proxy/types";
import { providers, useTestDatabase } from "./support/databases";
import { asRequest, at, buildCapture, ingestWithResend, renderedDump, seedDump, seedService } from "./support/ingest-fixtures";

const settings = { retentionDays: 3650 };

describe.each(providers)("capture ingest on %s", (provider) => {
  const database = useTestDatabase(provider);
  let clusterSeq = 0;
  async function newCluster() {
    clusterSeq++;
    return database().db.cluster.create({ data: { name: `cluster-${clusterSeq}` } });
  }

  it("asks for the bodies it lacks, stores nothing until they come, then stores the capture whole", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const capture = buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(0) });
    const before = await db.chainBody.count();

    const first = await ingestCapture(db, cluster.id, asRequest(capture.upload), settings);
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first.error.status).toBe(409);
    // 31 chains, 30 distinct bodies: the two empty canary chains share the empty body.
    expect(first.error.error).toBe("30 chain bodies are missing: resend the capture with them");
    const missing = (first.error.detail as { missingChains: string[] }).missingChains;
    expect(new Set(missing)).toEqual(new Set(capture.upload.manifest!.map((e) => e.digest)));
    expect(await db.chainBody.count()).toBe(before);
    expect(await db.node.count({ where: { clusterId: cluster.id } })).toBe(0);

    const second = await ingestCapture(db, cluster.id, asRequest(withChainBodies(capture.upload, capture.bodiesByDigest, missing)), settings);
    expect(second).toMatchObject({ ok: true, status: 201, accepted: { newSnapshot: true, duplicate: false, changes: 0, rulesetDigest: capture.upload.rulesetDigest } });
    expect(await db.chainBody.count()).toBe(before + 30);
    const snapshot = await db.snapshot.findFirstOrThrow({ where: { node: { clusterId: cluster.id } }, include: { ruleset: { include: { model: true } } } });
    expect(snapshot).toMatchObject({ backend: "iptables-nft", family: "ipv4", captureCount: 1, firstSeen: new Date(at(0)), lastSeen: new Date(at(0)) });
    expect(snapshot.ruleset).toMatchObject({ chainCount: 31, baseDigest: null, mode: "iptables" });
    const model = snapshot.ruleset.model!.model as unknown as ProxyModel;
    const web = model.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport");
    expect(web?.endpoints.map((e) => e.address)).toEqual(["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"]);
    // The stored model is the ruleset's, shared by every node: counters are not in it.
    expect(web?.endpoints.map((e) => e.packets)).toEqual([0, 0, 0]);
  });

  it("stores each body once when four nodes post identical chains, and adds no snapshot row for an unchanged capture", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const dump = renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.3"])]);
    const digests = [...new Set(buildCapture(dump, { node: "x", capturedAt: at(10) }).upload.manifest!.map((e) => e.digest))];
    // Bodies equal to ones an earlier test stored (the empty chain, kube-proxy's fixed chains) are not new.
    const fresh = digests.length - (await db.chainBody.count({ where: { digest: { in: digests } } }));
    const bodies0 = await db.chainBody.count();
    const rulesets0 = await db.ruleset.count();
    const answers = [];
    for (const node of ["kind-control-plane", "kind-worker", "kind-worker2", "kind-worker3"]) {
      answers.push(await ingestWithResend(db, cluster.id, buildCapture(dump, { node, capturedAt: at(10) })));
    }
    // Only the first node had to send bodies.
    expect(answers.map((a) => a.first.ok)).toEqual([false, true, true, true]);
    expect((await db.chainBody.count()) - bodies0).toBe(fresh);
    expect((await db.ruleset.count()) - rulesets0).toBe(1);
    expect(await db.snapshot.count({ where: { node: { clusterId: cluster.id } } })).toBe(4);

    // An unchanged capture: the ruleset digest alone, well under 1 KB on the wire; one Capture row, lastSeen moves.
    const again = buildCapture(dump, { node: "kind-worker", capturedAt: at(11) });
    const small = unchangedCaptureUpload({ ...again.upload, counters: [] });
    expect(JSON.stringify(small).length).toBeLessThan(400);
    const counts = async () => ({ snapshots: await db.snapshot.count(), rulesets: await db.ruleset.count(), chains: await db.rulesetChain.count(), captures: await db.capture.count() });
    const before = await counts();
    const result = await ingestCapture(db, cluster.id, asRequest(small), settings);
    expect(result).toMatchObject({ ok: true, status: 201, accepted: { newSnapshot: false, changes: 0 } });
    expect(await counts()).toEqual({ ...before, captures: before.captures + 1 });
    const snapshot = await db.snapshot.findFirstOrThrow({ where: { node: { clusterId: cluster.id, name: "kind-worker" } } });
    expect(snapshot).toMatchObject({ firstSeen: new Date(at(10)), lastSeen: new Date(at(11)), captureCount: 2 });
  });

  it("answers a retried capture id with 200 duplicate and stores it once", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const capture = buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(20) });
    const { final } = await ingestWithResend(db, cluster.id, capture);
    expect(final).toMatchObject({ ok: true, status: 201 });
    const captures = await db.capture.count();
    const samples = await db.ruleCounterSample.count();
    const retry = await ingestCapture(db, cluster.id, asRequest(capture.upload), settings);
    expect(retry).toMatchObject({ ok: true, status: 200, accepted: { duplicate: true, captureId: capture.upload.captureId } });
    expect(await db.capture.count()).toBe(captures);
    expect(await db.ruleCounterSample.count()).toBe(samples);
  });

  it("answers 409 unknownRuleset for a digest-only capture of a ruleset it never saw", async () => {
    const { db } = database();
    const cluster = await newCluster();
    const capture = buildCapture(renderedDump([seedService(["10.10.9.9"])]), { node: "kind-worker", capturedAt: at(30) });
    const result = await ingestCapture(db, cluster.id, asRequest(unchangedCaptureUpload(capture.upload)), settings);
    expect(result).toMatchObject({
      ok: false,
      error: { status: 409, error: "unknown ruleset: resend the capture with its manifest", detail: { missingChains: [], unknownRuleset: true } },
    });
  });

  it("derives a pod restart as the old endpoint replaced by the new one", async () => {
    const { db } = database();
    const cluster = await newCluster();
    // Pod IPs no other test of this file uses, so that no other node shows the "before" ruleset.
    const before = renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.4"])]);
    const after = renderedDump([seedService(["10.10.1.2", "10.10.2.7", "10.10.3.4"])]);
    await ingestWithResend(db, cluster.id, buildCapture(before, { node: "kind-worker", capturedAt: at(40) }));
    const { final } = await ingestWithResend(db, cluster.id, buildCapture(after, { node: "kind-worker", capturedAt: at(41) }));
    expect(final).toMatchObject({ ok: true, accepted: { newSnapshot: true, changes: 2 } });

    const changes = await db.serviceChange.findMany({ where: { clusterId: cluster.id }, orderBy: { id: "asc" } });
    expect(changes.map((c) => [c.servicePort, c.kind, c.at.toISOString()])).toEqual([
      ["default/svc-clusterip:svc-webport", "endpoint-removed", at(41)],
      ["default/svc-clusterip:svc-webport", "endpoint-added", at(41)],
    ]);
    const removed = changes[0]!.detail as unknown as ServiceChange;
    expect(removed.endpoint).toMatchObject({ address: "10.10.2.2:80", sepChain: "KUBE-SEP-DOIEFYKPESCDTYCH" });
    expect(removed.replacedBy).toBe("10.10.2.7:80");
    // Stored as a delta: the SVC chain, KUBE-SERVICES is unchanged, the new SEP, and a tombstone for the old one.
    const ruleset = await db.ruleset.findFirstOrThrow({ where: { snapshots: { some: { id: Number((final as { accepted: { snapshotId: string } }).accepted.snapshotId) } } } });
    expect(ruleset.baseDigest).not.toBeNull();
    expect(await db.rulesetChain.count({ where: { rulesetDigest: ruleset.digest } })).toBe(3);
    // The old ruleset's model went with it: no node shows that ruleset any more (readers rebuild it on demand).
    expect(await db.rulesetModel.count({ where: { rulesetDigest: ruleset.baseDigest! } })).toBe(0);
    expect(await db.rulesetModel.count({ where: { rulesetDigest: ruleset.digest } })).toBe(1);
  });

  it("derives ClusterIP → NodePort as a node-port path added", async () => {
    const { db } = database();
    const cluster = await newCluster();
    await ingestWithResend(db, cluster.id, buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(50) }));
    const { final } = await ingestWithResend(db, cluster.id, buildCapture(seedDump("nodeport"), { node: "myk8s-control-plane", capturedAt: at(51) }));
    expect(final.ok).toBe(true);
    const changes = await db.serviceChange.findMany({ where: { clusterId: cluster.id } });
    const paths = changes.filter((c) => c.kind === "path-added").map((c) => (c.detail as unknown as ServiceChange).path);
    expect(paths).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "node-port", destination: ":30007", chains: ["KUBE-NODEPORTS", "KUBE-EXT-KBDEBIL6IU6WL7RF", "KUBE-SVC-KBDEBIL6IU6WL7RF"] })]),
    );
    expect(changes.every((c) => c.servicePort === "default/svc-clusterip:svc-webport")).toBe(true);
  });
});
