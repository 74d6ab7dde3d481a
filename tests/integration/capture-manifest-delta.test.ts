/**
 * Manifest deltas: a changed capture names the ruleset the server last accepted from the node and sends only the
 * chains set and removed since. Over real HTTP against the app (next dev) on each database provider, with the
 * agent's upload client and, for the spool and the fallback, the agent itself capturing a generated 1k-service
 * rule set from a network namespace.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateServices, mutateServices, renderServicesDump } from "../../bench/generate-nat-dump";
import { startAgent } from "../../collectors/node-agent/agent";
import type { AgentConfig } from "../../collectors/node-agent/config";
import { createCommandRunner } from "../../collectors/node-agent/capture/run-command";
import type { AcceptedRuleset } from "../../collectors/node-agent/manifest-delta";
import { manifestDeltaUpload } from "../../collectors/node-agent/manifest-delta";
import { sendCapture, type PendingCapture, type UploadOutcome } from "../../collectors/node-agent/upload";
import { changedCounters, compareManifestEntries, type BuiltCapture } from "../../lib/capture/build-capture-upload";
import type { CaptureUpload, CounterUpload } from "../../lib/contracts/capture";
import { readRulesetManifest } from "../../lib/server/captures/read-ruleset-manifest";
import { storedRulesetDigest } from "../../lib/server/captures/ruleset-identity";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { startAppServer, type AppServer } from "./support/app-server";
import { providers, useTestDatabase } from "./support/databases";
import { at, buildCapture } from "./support/ingest-fixtures";
import { createNetns, deleteNetns, inNetns } from "./support/netns";
import { startRelay } from "./support/tcp-relay";
import { ensureNfacctCounters, nfacctNamesIn } from "../../lab/netns/nfacct";

const SERVICES = generateServices({ services: 1_000, seed: 3 });
/** One service rolled out: an endpoint replaced, added or removed. */
const CHANGED = mutateServices(SERVICES, 0.001, 5);
const OTHER_CHANGE = mutateServices(SERVICES, 0.001, 11);
const DUMPS = { before: renderServicesDump(SERVICES), after: renderServicesDump(CHANGED), other: renderServicesDump(OTHER_CHANGE) };
/** Upper bound for a changed capture of one service on the 1k-service rule set: a few entries, a few bodies. */
const SMALL_CHANGE_BYTES = 4_096;

const digestOf = (text: string) => createHash("sha256").update(text).digest("hex");
const entries = (manifest: readonly { table: string; chain: string; policy: string | null; digest: string }[]) =>
  [...manifest].sort(compareManifestEntries).map(({ table, chain, policy, digest }) => ({ table, chain, policy, digest }));

/** What the agent knows after `built` was accepted. */
const acceptedOf = (built: BuiltCapture): AcceptedRuleset => ({ rulesetDigest: built.upload.rulesetDigest!, manifest: built.upload.manifest! });

/** The agent's pending form of `built`: bodies at hand, the new chains' bodies up front, a delta base if given. */
function pendingOf(built: BuiltCapture, options: { base?: BuiltCapture | AcceptedRuleset; counters?: readonly CounterUpload[] } = {}): PendingCapture {
  const base = options.base && "upload" in options.base ? acceptedOf(options.base) : options.base;
  const known = new Set(base?.manifest.map((e) => e.digest));
  const upload: CaptureUpload = { ...built.upload, counters: changedCounters((built.upload.counters ?? []) as CounterUpload[], options.counters ?? []) };
  return {
    upload,
    bodyOf: (digest) => built.bodiesByDigest.get(digest),
    serverHasRuleset: false,
    ...(base ? { base, expectedMissing: [...new Set(built.upload.manifest!.map((e) => e.digest).filter((d) => !known.has(d)))] } : {}),
  };
}

function expectAccepted(outcome: UploadOutcome): Extract<UploadOutcome, { kind: "accepted" }> {
  if (outcome.kind !== "accepted") throw new Error(`not accepted: ${JSON.stringify(outcome).slice(0, 500)}`);
  return outcome;
}

describe.each(providers)("manifest deltas over HTTP on %s", (provider) => {
  const database = useTestDatabase(provider);
  let app: AppServer;
  let token: string;

  beforeAll(async () => {
    app = await startAppServer({ databaseUrl: database().url, env: { NATWATCH_RETENTION_DAYS: "30" } });
    token = (await createIngestToken(database().db, { cluster: "kind", label: "delta agent" })).token;
  }, 300_000);
  afterAll(async () => {
    await app?.stop();
  });

  const target = () => ({ server: app.url, token });
  const post = async (body: unknown) => {
    const response = await fetch(`${app.url}/api/v1/captures`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error: string; detail?: Record<string, unknown> } & Record<string, unknown> };
  };
  const captureCount = () => database().db.capture.count();
  const snapshotsOf = (name: string) =>
    database().db.snapshot.findMany({ where: { node: { name } }, orderBy: { firstSeen: "asc" }, select: { id: true, rulesetDigest: true } });

  /** Uploads the 1k-service rule set whole for `node` at minute `minute` (every body). */
  async function firstCapture(node: string, minute: number): Promise<BuiltCapture> {
    const built = buildCapture(DUMPS.before, { node, capturedAt: at(minute) });
    expectAccepted(await sendCapture(target(), pendingOf(built)));
    return built;
  }

  it("stores a changed capture sent as a delta as it stores the whole manifest, for a few KB instead of the manifest", async () => {
    const deltaFirst = await firstCapture("delta-node", 100);
    const wholeFirst = await firstCapture("whole-node", 100);

    const viaDelta = buildCapture(DUMPS.after, { node: "delta-node", capturedAt: at(101) });
    const pending = pendingOf(viaDelta, { base: deltaFirst, counters: deltaFirst.upload.counters as CounterUpload[] });
    const delta = manifestDeltaUpload(pending.upload, pending.base!)!;
    expect(delta.manifest).toBeUndefined();
    expect(delta.manifestDelta!.set.length + delta.manifestDelta!.removed.length).toBeLessThan(20);
    const deltaOutcome = expectAccepted(await sendCapture(target(), pending));
    expect(deltaOutcome).toMatchObject({ status: 201, body: { newSnapshot: true, duplicate: false, rulesetDigest: viaDelta.upload.rulesetDigest } });

    const viaWhole = buildCapture(DUMPS.after, { node: "whole-node", capturedAt: at(101) });
    const wholePending = pendingOf(viaWhole, { counters: wholeFirst.upload.counters as CounterUpload[] });
    const wholeOutcome = expectAccepted(await sendCapture(target(), { ...wholePending, expectedMissing: pending.expectedMissing! }));
    console.log(
      `one-service change on ${viaDelta.upload.manifest!.length} chains: ${deltaOutcome.bytesSent} B as a delta, ${wholeOutcome.bytesSent} B with the whole manifest (gzip'd request bodies)`,
    );
    expect(deltaOutcome.bytesSent).toBeLessThan(SMALL_CHANGE_BYTES);
    expect(wholeOutcome.bytesSent).toBeGreaterThan(10 * deltaOutcome.bytesSent);

    // Same service changes derived, same ruleset in the snapshot, same manifest stored as the capture's own.
    expect(deltaOutcome.body.changes).toBeGreaterThan(0);
    expect(deltaOutcome.body.changes).toBe(wholeOutcome.body.changes);
    const [deltaSnapshots, wholeSnapshots] = [await snapshotsOf("delta-node"), await snapshotsOf("whole-node")];
    expect(deltaSnapshots.map((s) => s.rulesetDigest)).toEqual(wholeSnapshots.map((s) => s.rulesetDigest));
    const stored = storedRulesetDigest("ipv4", "iptables", viaDelta.upload.rulesetDigest!);
    expect(deltaSnapshots[1]!.rulesetDigest).toBe(stored);
    expect(entries(await readRulesetManifest(database().db, stored))).toEqual(entries(viaDelta.upload.manifest!));

    // A retried delta capture is stored once.
    expect(await post({ ...delta, chains: [] })).toMatchObject({ status: 200, body: { duplicate: true, snapshotId: deltaOutcome.body.snapshotId } });
  }, 180_000);

  it("takes a delta whose new ruleset it never saw: missing bodies are asked for, then the ruleset is stored from the delta", async () => {
    const first = await firstCapture("fresh-node", 200);
    const changed = buildCapture(DUMPS.other, { node: "fresh-node", capturedAt: at(201) });
    const delta = manifestDeltaUpload(changed.upload, acceptedOf(first))!;
    const asked = await post(delta);
    expect(asked.status).toBe(409);
    expect(asked.body.detail).toMatchObject({ unknownRuleset: false });
    expect(asked.body.detail?.unknownBase).toBeUndefined();
    const missing = asked.body.detail!.missingChains as string[];
    expect(missing.length).toBeGreaterThan(0);
    const complete = { ...delta, chains: missing.map((digest) => ({ digest, body: changed.bodiesByDigest.get(digest)! })) };
    expect(await post(complete)).toMatchObject({ status: 201, body: { newSnapshot: true, rulesetDigest: changed.upload.rulesetDigest } });
    const stored = storedRulesetDigest("ipv4", "iptables", changed.upload.rulesetDigest!);
    expect(entries(await readRulesetManifest(database().db, stored))).toEqual(entries(changed.upload.manifest!));

    // A late delta capture (older than the node's latest) is placed in history like any other.
    const late = buildCapture(DUMPS.other, { node: "fresh-node", capturedAt: at(200.5) });
    expect(await post(manifestDeltaUpload(late.upload, acceptedOf(first)))).toMatchObject({ status: 201, body: { late: true } });
  }, 180_000);

  it("answers a base it does not have for the node with a 409 of its own, and the upload falls back to the whole manifest", async () => {
    const first = await firstCapture("base-node", 300);
    const changed = buildCapture(DUMPS.after, { node: "base-node", capturedAt: at(301) });
    const before = await captureCount();
    const unknown = { rulesetDigest: digestOf("a ruleset this server never stored"), manifest: first.upload.manifest! };

    const refused = await post(manifestDeltaUpload(changed.upload, unknown));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe(`unknown delta base ${unknown.rulesetDigest}: resend the capture with its whole manifest`);
    expect(refused.body.detail).toEqual({ missingChains: [], unknownRuleset: false, unknownBase: true, base: unknown.rulesetDigest });
    // Another node's ruleset is no base for this one, though the server has it.
    const stranger = buildCapture(DUMPS.after, { node: "stranger-node", capturedAt: at(301) });
    expect(await post(manifestDeltaUpload(stranger.upload, acceptedOf(first)))).toMatchObject({ status: 409, body: { detail: { unknownBase: true } } });
    expect(await captureCount()).toBe(before);

    const fallback = expectAccepted(await sendCapture(target(), pendingOf(changed, { base: unknown })));
    expect(fallback).toMatchObject({ status: 201, body: { newSnapshot: true, rulesetDigest: changed.upload.rulesetDigest } });
    // Two rounds: the refused delta, then the whole manifest (with the new chains' bodies).
    expect(fallback.bytesSent).toBeGreaterThan(20 * SMALL_CHANGE_BYTES);
    expect(await captureCount()).toBe(before + 1);
  }, 180_000);

  it("refuses a delta that does not rebuild the manifest its rulesetDigest names, storing nothing", async () => {
    const first = await firstCapture("mismatch-node", 400);
    const changed = buildCapture(DUMPS.after, { node: "mismatch-node", capturedAt: at(401) });
    const delta = manifestDeltaUpload(changed.upload, acceptedOf(first))!;
    const before = await captureCount();

    const incomplete = { ...delta, manifestDelta: { ...delta.manifestDelta!, set: delta.manifestDelta!.set.slice(1) } };
    const computed = (await post(incomplete)) as { status: number; body: { error: string; detail: Record<string, unknown> } };
    expect(computed.status).toBe(422);
    expect(computed.body.detail).toMatchObject({ field: "manifestDelta", deltaMismatch: true, base: first.upload.rulesetDigest, sent: changed.upload.rulesetDigest });
    expect(computed.body.error).toMatch(/^the manifest rebuilt from base [0-9a-f]{64} and the delta has digest [0-9a-f]{64}, not rulesetDigest [0-9a-f]{64}/);

    const strayRemoval = { ...delta, manifestDelta: { ...delta.manifestDelta!, removed: [{ table: "nat", chain: "KUBE-SEP-NOSUCHCHAIN" }] } };
    expect(await post(strayRemoval)).toMatchObject({
      status: 400,
      body: { error: `manifestDelta.removed.0: chain nat/KUBE-SEP-NOSUCHCHAIN is not in base ${first.upload.rulesetDigest}` },
    });
    expect(await post({ ...delta, manifest: changed.upload.manifest })).toMatchObject({ status: 400 });
    const { rulesetDigest: _digest, ...withoutDigest } = delta;
    expect(await post(withoutDigest)).toMatchObject({ status: 400 });
    expect(await captureCount()).toBe(before);
  }, 180_000);
});

describe("node agent sending changed captures as deltas", () => {
  const database = useTestDatabase("sqlite");
  let app: AppServer;
  let token: string;
  let ns: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    app = await startAppServer({ databaseUrl: database().url, env: { NATWATCH_RETENTION_DAYS: "30" } });
    token = (await createIngestToken(database().db, { cluster: "kind", label: "delta agent" })).token;
    ns = await createNetns("delta");
    const counters = [...new Set(Object.values(DUMPS).flatMap((dump) => nfacctNamesIn(dump)))];
    expect(await ensureNfacctCounters(ns, counters)).toHaveLength(counters.length);
    await load(DUMPS.before);
  }, 300_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (ns) await deleteNetns(ns).catch(() => undefined);
    await app?.stop();
  });

  async function load(dump: string): Promise<void> {
    const file = path.join(os.tmpdir(), `${ns}.rules`);
    await writeFile(file, dump);
    await inNetns(ns, "iptables-restore", [file]);
    await rm(file);
  }

  const capturesOf = (name: string) => database().db.capture.findMany({ where: { node: { name } }, orderBy: { capturedAt: "asc" }, select: { snapshotId: true } });

  it("sends a change as a delta, spools whole manifests while the server is away, and resends whole for a base the server lost", async () => {
    const spoolDir = await mkdtemp(path.join(os.tmpdir(), "natwatch-spool-"));
    cleanups.push(() => rm(spoolDir, { recursive: true, force: true }));
    const relay = await startRelay(new URL(app.url));
    cleanups.push(() => relay.close());
    const config: AgentConfig = {
      server: relay.url,
      token,
      cluster: "kind",
      node: "delta-agent",
      intervalMs: 3_600_000,
      debounceMs: 200,
      spoolDir,
      spoolMaxFiles: 100,
      spoolMaxBytes: 50_000_000,
      execPrefix: ["ip", "netns", "exec", ns],
      metricsPort: 0,
      watch: false,
    };
    const agent = await startAgent(config, { runner: createCommandRunner(config.execPrefix), now: () => new Date(), log: () => undefined });
    cleanups.push(() => agent.stop());
    await agent.ready;
    expect(agent.metrics.uploads).toBe(1);

    // A rollout of one service: a delta on the wire.
    await load(DUMPS.after);
    let before = agent.metrics.bytesSent;
    await agent.captureNow();
    const changeBytes = agent.metrics.bytesSent - before;
    expect(agent.metrics.uploads).toBe(2);
    expect(changeBytes).toBeLessThan(SMALL_CHANGE_BYTES);
    expect(new Set((await capturesOf("delta-agent")).map((c) => c.snapshotId)).size).toBe(2);

    // Away: the changed capture is spooled with its whole manifest, and replayed as a delta once the server is back.
    await relay.down();
    await load(DUMPS.before);
    await agent.captureNow();
    expect(agent.metrics.spoolFiles).toBe(1);
    const [spooled] = (await readdir(spoolDir)).filter((f) => /^\d{12}-.*\.json\.gz$/.test(f));
    const entry = JSON.parse(gunzipSync(await readFile(path.join(spoolDir, spooled!))).toString("utf8")) as { upload: CaptureUpload };
    expect(entry.upload.manifest?.length).toBeGreaterThan(1_000);
    expect(entry.upload.manifestDelta).toBeUndefined();
    await relay.up();
    await load(DUMPS.after);
    before = agent.metrics.bytesSent;
    await agent.captureNow();
    expect(agent.metrics.spoolFiles).toBe(0);
    expect(agent.metrics.uploads).toBe(4);
    expect(agent.metrics.bytesSent - before).toBeLessThan(2 * SMALL_CHANGE_BYTES);
    expect(new Set((await capturesOf("delta-agent")).map((c) => c.snapshotId)).size).toBe(4);

    // The server forgets the node (as after pruning): the delta's base is unknown, the agent sends the whole manifest.
    await database().db.node.update({ where: { clusterId_name: { clusterId: (await database().db.cluster.findFirstOrThrow({ where: { name: "kind" } })).id, name: "delta-agent" } }, data: { name: "delta-agent-forgotten" } });
    await load(DUMPS.other);
    before = agent.metrics.bytesSent;
    await agent.captureNow();
    expect(agent.metrics.uploads).toBe(5);
    expect(agent.metrics.bytesSent - before).toBeGreaterThan(20 * SMALL_CHANGE_BYTES);
    expect(await capturesOf("delta-agent")).toHaveLength(1);
    // And the next change is a delta against what the server now has.
    await load(DUMPS.after);
    before = agent.metrics.bytesSent;
    await agent.captureNow();
    expect(agent.metrics.uploads).toBe(6);
    expect(agent.metrics.bytesSent - before).toBeLessThan(SMALL_CHANGE_BYTES);
    expect(await capturesOf("delta-agent")).toHaveLength(2);
  }, 300_000);
});
