/**
 * The ingest API over real HTTP: the Next app (next dev) against a fresh database of each provider, driven with
 * fetch and with `natwatch import`. Every refusal is checked for its exact status and message, and for storing
 * nothing.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unchangedCaptureUpload, withChainBodies } from "../../lib/capture/build-capture-upload";
import type { CaptureUpload } from "../../lib/contracts/capture";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { revokeIngestToken } from "../../lib/server/tokens/revoke-ingest-token";
import { startAppServer, type AppServer } from "./support/app-server";
import { createEmptyDatabase, providers, useTestDatabase, type ScratchDatabase } from "./support/databases";
import { at, buildCapture, renderedDump, repoRoot, seedDump, seedService } from "./support/ingest-fixtures";

const run = promisify(execFile);
const MAX_BODY = 1_000_000;

describe.each(providers)("ingest over HTTP on %s", (provider) => {
  const database = useTestDatabase(provider);
  let app: AppServer;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    app = await startAppServer({
      databaseUrl: database().url,
      env: { NATWATCH_MAX_BODY_BYTES: String(MAX_BODY), NATWATCH_RETENTION_DAYS: "30" },
    });
    token = (await createIngestToken(database().db, { cluster: "kind", label: "test agent" })).token;
    otherToken = (await createIngestToken(database().db, { cluster: "other" })).token;
  }, 300_000);
  afterAll(async () => {
    await app?.stop();
  });

  async function post(route: string, body: unknown, init: { token?: string | null; headers?: Record<string, string>; raw?: Buffer | string } = {}) {
    const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
    const bearer = init.token === undefined ? token : init.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(`${app.url}${route}`, { method: "POST", headers, body: init.raw === undefined ? JSON.stringify(body) : typeof init.raw === "string" ? init.raw : new Uint8Array(init.raw) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const stored = async () => {
    const { db } = database();
    return { nodes: await db.node.count(), captures: await db.capture.count(), bodies: await db.chainBody.count(), events: await db.kubeEvent.count() };
  };

  it("refuses missing, unknown, revoked and other clusters' tokens, storing nothing", async () => {
    const capture = buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(0) });
    const upload = withChainBodies(capture.upload, capture.bodiesByDigest, [...capture.bodiesByDigest.keys()]);
    const revoked = await createIngestToken(database().db, { cluster: "kind", label: "old" });
    await revokeIngestToken(database().db, revoked.id);
    const before = await stored();

    expect(await post("/api/v1/captures", upload, { token: null })).toEqual({
      status: 401,
      body: { error: "missing bearer token", detail: { header: "Authorization: Bearer <token>" } },
    });
    expect(await post("/api/v1/captures", upload, { token: "nwt_not-a-real-token" })).toEqual({ status: 401, body: { error: "unknown ingest token" } });
    const refusedRevoked = await post("/api/v1/captures", upload, { token: revoked.token });
    expect(refusedRevoked).toMatchObject({ status: 401, body: { error: "ingest token revoked", detail: { tokenId: revoked.id } } });
    expect(await post("/api/v1/captures", upload, { token: otherToken })).toEqual({
      status: 403,
      body: { error: "this token may not write for cluster kind", detail: { field: "cluster", tokenCluster: "other" } },
    });
    const events = { cluster: "kind", events: [podEvent("ADDED", "10.10.2.7", at(0), "100")] };
    expect(await post("/api/v1/kube-events", events, { token: otherToken })).toMatchObject({ status: 403 });
    expect(await stored()).toEqual(before);
  });

  it("refuses bad input with the exact status and reason, storing nothing", async () => {
    const capture = buildCapture(seedDump("clusterip"), { node: "myk8s-control-plane", capturedAt: at(5) });
    const full = withChainBodies(capture.upload, capture.bodiesByDigest, [...capture.bodiesByDigest.keys()]);
    const sep = capture.upload.manifest!.find((e) => e.chain === "KUBE-SEP-TBW2IYJKUCAC7GB3")!;
    const badBody = `-A KUBE-SEP-TBW2IYJKUCAC7GB3 -s 10.10.1.2/32 -j KUBE-MARK-MASQ\n-A KUBE-SEP-TBW2IYJKUCAC7GB3 -p tcp -m comment --comment "default/svc-clusterip:svc-webport -j DNAT`;
    const badDigest = (await import("../../lib/capture/ruleset-text")).bodyDigest(badBody);
    const badRules: CaptureUpload = {
      ...capture.upload,
      manifest: capture.upload.manifest!.map((e) => (e === sep ? { ...e, digest: badDigest } : e)),
      rulesetDigest: undefined,
      chains: [{ digest: badDigest, body: badBody }],
    };
    const huge = JSON.stringify({ ...full, padding: "x".repeat(MAX_BODY) });
    const before = await stored();

    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ["malformed JSON", post("/api/v1/captures", null, { raw: '{"captureId": ' }), 400, "body is not valid JSON"],
      ["bad rule text", post("/api/v1/captures", badRules), 400, `chain body ${badDigest} (KUBE-SEP-TBW2IYJKUCAC7GB3) line 2: unterminated quote`],
      ["unknown field", post("/api/v1/captures", { ...full, agentVersion: "1" }), 400, 'invalid (root): Unrecognized key: "agentVersion"'],
      ["huge body", post("/api/v1/captures", null, { raw: huge }), 413, `body exceeds ${MAX_BODY} bytes`],
      ["huge body, gzipped", post("/api/v1/captures", null, { raw: gzipSync(huge), headers: { "content-encoding": "gzip" } }), 413, `body exceeds ${MAX_BODY} bytes`],
      ["wrong content type", post("/api/v1/captures", null, { raw: "captureId=1", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "content type must be application/json"],
      ["wrong types", post("/api/v1/captures", { ...full, capturedAt: 1_700_000_000 }), 400, "invalid capturedAt: Invalid input: expected string, received number"],
      ["future timestamp", post("/api/v1/captures", { ...full, capturedAt: new Date(Date.now() + 3_600_000).toISOString() }), 400, "capturedAt is more than 5 minutes in the future; check the node's clock"],
      ["ancient timestamp", post("/api/v1/captures", { ...full, capturedAt: new Date(Date.now() - 40 * 86_400_000).toISOString() }), 400, "capturedAt is older than the retention window of 30 days"],
      ["digest mismatch", post("/api/v1/captures", { ...full, chains: [{ digest: sep.digest, body: badBody }] }), 400, `chains.0.body: sha256 of the body is ${badDigest}, not ${sep.digest}`],
      ["kube event without resourceVersion", post("/api/v1/kube-events", { cluster: "kind", events: [{ ...podEvent("ADDED", "10.1.1.1", at(5), "1"), object: { metadata: { name: "p" } } }] }), 400, "invalid events.0.object.metadata.resourceVersion: Invalid input: expected string, received undefined"],
    ];
    for (const [name, answer, status, error] of cases) {
      const { status: got, body } = await answer;
      expect({ name, status: got, error: body.error }).toEqual({ name, status, error });
      expect(Object.keys(body).every((k) => k === "error" || k === "detail"), name).toBe(true);
    }
    const bad = await post("/api/v1/captures", badRules);
    expect(bad.body.detail).toMatchObject({ field: "chains.0.body", digest: badDigest, line: 2 });
    expect(await stored()).toEqual(before);
  });

  it("stores a capture after the 409 round, answers a retry with 200 duplicate, and takes an unchanged capture under 1 KB", async () => {
    const capture = buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.3"])]), { node: "kind-worker", capturedAt: at(10) });
    const first = await post("/api/v1/captures", capture.upload);
    expect(first.status).toBe(409);
    const missing = (first.body.detail as { missingChains: string[] }).missingChains;
    const complete = withChainBodies(capture.upload, capture.bodiesByDigest, missing);
    const second = await post("/api/v1/captures", null, { raw: gzipSync(JSON.stringify(complete)), headers: { "content-encoding": "gzip" } });
    expect(second).toMatchObject({ status: 201, body: { captureId: capture.upload.captureId, newSnapshot: true, duplicate: false } });
    expect(await post("/api/v1/captures", complete)).toMatchObject({ status: 200, body: { duplicate: true, snapshotId: second.body.snapshotId } });

    const unchanged = unchangedCaptureUpload({ ...capture.upload, captureId: "unchanged-0001", capturedAt: at(11), counters: [] });
    const wire = JSON.stringify(unchanged);
    expect(Buffer.byteLength(wire)).toBeLessThan(1024);
    const before = await stored();
    expect(await post("/api/v1/captures", unchanged)).toMatchObject({ status: 201, body: { newSnapshot: false, snapshotId: second.body.snapshotId } });
    expect(await stored()).toEqual({ ...before, captures: before.captures + 1 });
  });

  it("lands two racing captures of one node in capturedAt order", async () => {
    const earlier = buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.2"])]), { node: "kind-worker2", capturedAt: at(20) });
    const later = buildCapture(renderedDump([seedService(["10.10.1.2", "10.10.2.2", "10.10.3.9"])]), { node: "kind-worker2", capturedAt: at(21) });
    const withAll = (c: typeof earlier) => withChainBodies(c.upload, c.bodiesByDigest, [...c.bodiesByDigest.keys()]);
    // The later capture is sent first; both are in flight together.
    const [a, b] = await Promise.all([post("/api/v1/captures", withAll(later)), post("/api/v1/captures", withAll(earlier))]);
    expect([a.status, b.status]).toEqual([201, 201]);

    const { db } = database();
    const snapshots = await db.snapshot.findMany({ where: { node: { name: "kind-worker2" } }, orderBy: { firstSeen: "asc" }, include: { serviceChanges: true } });
    expect(snapshots.map((s) => [s.firstSeen.toISOString(), s.lastSeen.toISOString()])).toEqual([
      [at(20), at(20)],
      [at(21), at(21)],
    ]);
    // Whatever the arrival order, the change is the one from the earlier state to the later.
    expect(snapshots[0]!.serviceChanges).toEqual([]);
    expect(snapshots[1]!.serviceChanges.map((c) => [c.kind, (c.detail as { endpoint?: { address: string } }).endpoint?.address])).toEqual([
      ["endpoint-added", "10.10.3.9:80"],
    ]);
  });

  it("stores kube events once, however often a batch is retried", async () => {
    const batch = { cluster: "kind", events: [podEvent("ADDED", "10.10.4.4", at(30), "200"), podEvent("MODIFIED", "10.10.4.4", at(31), "201")] };
    expect(await post("/api/v1/kube-events", batch)).toEqual({ status: 201, body: { stored: 2, duplicates: 0 } });
    expect(await post("/api/v1/kube-events", batch)).toEqual({ status: 201, body: { stored: 0, duplicates: 2 } });
    expect(await database().db.kubeEventIp.count({ where: { ip: "10.10.4.4" } })).toBe(2);
  });

  it("imports a saved dump with natwatch import, and refuses a damaged one with its line", async () => {
    const cli = path.join(repoRoot, "bin/natwatch.mjs");
    const file = path.join(repoRoot, "tests/fixtures/seed/nodeport.iptables-save.txt");
    const args = ["import", "--server", app.url, "--token", token, "--cluster", "kind", "--node", "myk8s-worker3", "--at", at(40), file];
    const { stdout } = await run(process.execPath, [cli, ...args], { cwd: repoRoot });
    expect(JSON.parse(stdout)).toMatchObject({ newSnapshot: true, duplicate: false, changes: 0 });
    expect(await database().db.snapshot.count({ where: { node: { name: "myk8s-worker3" } } })).toBe(1);

    const failure = await run(process.execPath, [cli, ...args.slice(0, -1), path.join(repoRoot, "package.json")], { cwd: repoRoot }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/^natwatch import: .*package\.json:1: /);
  });
});

describe("an unmigrated database", () => {
  let scratch: ScratchDatabase;
  let app: AppServer;
  beforeAll(async () => {
    scratch = await createEmptyDatabase("sqlite");
    app = await startAppServer({ databaseUrl: scratch.url });
  }, 300_000);
  afterAll(async () => {
    await app?.stop();
    await scratch?.drop();
  });

  it("answers 503 naming the command that fixes it", async () => {
    const response = await fetch(`${app.url}/api/v1/captures`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer nwt_x" },
      body: "{}",
    });
    const body = (await response.json()) as { error: string; detail: unknown };
    expect(response.status).toBe(503);
    expect(body.error).toMatch(/^database not ready: Database .* is not migrated: 1 migration\(s\) missing .* Run `npm run db:migrate` with the same DATABASE_URL\.$/);
    expect(body.detail).toEqual({ command: "npm run db:migrate" });
  });
});

function podEvent(type: "ADDED" | "MODIFIED" | "DELETED", ip: string, observedAt: string, resourceVersion: string) {
  return {
    kind: "Pod" as const,
    type,
    observedAt,
    object: { metadata: { name: `whoami-${ip.replaceAll(".", "-")}`, namespace: "default", resourceVersion }, status: { podIP: ip, podIPs: [{ ip }] } },
  };
}
