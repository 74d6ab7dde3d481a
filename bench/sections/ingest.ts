/**
 * Ingest figures behind DESIGN.md's storage budgets, on SQLite and PostgreSQL, through the same use case the route
 * calls (lib/server/captures/ingest-capture.ts), on freshly migrated scratch databases:
 * - unchanged capture: wire size and ingest time (budget: < 1 KB, p50 < 20 ms on SQLite);
 * - first capture of the 10k-service dump: the manifest-only request (answered 409) and the complete one;
 * - database bytes added per unchanged capture and per capture with k changed chains;
 * - a fleet: 50 nodes × 200 captures with 1% of services changing every round, total database size against the
 *   size of the raw dumps those captures stand for.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import pg from "pg";
import { buildIptablesCapture, unchangedCaptureUpload, withChainBodies, type BuiltCapture } from "../../lib/capture/build-capture-upload";
import { captureRequestSchema, type CaptureUpload } from "../../lib/contracts/capture";
import type { ServiceSpec } from "../../lab/kube-proxy/types";
import { ingestCapture, type IngestCaptureResult } from "../../lib/server/captures/ingest-capture";
import { openMigratedDb, type Db } from "../../lib/server/db";
import { getTestPostgresUrl, type DatabaseProvider } from "../../lib/server/env";
import { repoRoot } from "../../scripts/db-cli";
import { migrateDatabase } from "../../scripts/db-migrate";
import { generateServices, mutateServices, renderServicesDump } from "../generate-nat-dump";
import type { BenchRow, BenchSection } from "../report";
import { fmtBytes, fmtMs, median, percentile } from "../stats";

const RETENTION = { retentionDays: 3650 };
const UNCHANGED_RUNS = 300;
/** The fleet simulation's shape (see the module comment); the 10k-service fleet would take hours. */
export interface FleetShape {
  nodes: number;
  captures: number;
  services: number;
  /** Fraction of services changed between two capture rounds. */
  churn: number;
}

const FLEET: FleetShape = { nodes: 50, captures: 200, services: 500, churn: 0.01 };

interface Scratch {
  db: Db;
  drop(): Promise<void>;
}

/** A migrated scratch database of `provider`, opened the way the app opens it (WAL on SQLite, migration check). */
async function scratchDatabase(provider: DatabaseProvider): Promise<Scratch> {
  const name = `natwatch_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  if (provider === "sqlite") {
    const file = path.join(os.tmpdir(), `${name}.db`);
    await migrateDatabase(`file:${file}`);
    const db = await openMigratedDb(`file:${file}`, repoRoot);
    return { db, drop: async () => { await db.$disconnect(); await Promise.all(["", "-wal", "-shm"].map((s) => rm(file + s, { force: true }))); } };
  }
  const admin = getTestPostgresUrl();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
  await migrateDatabase(url.toString());
  const db = await openMigratedDb(url.toString(), repoRoot);
  return { db, drop: async () => { await db.$disconnect(); await withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)); } };
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Bytes the database occupies: SQLite's pages (WAL frames included, as the logical size), PostgreSQL's files. */
async function databaseBytes(db: Db, provider: DatabaseProvider): Promise<number> {
  if (provider === "sqlite") {
    const [pages] = await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT page_count AS n FROM pragma_page_count()");
    const [size] = await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT page_size AS n FROM pragma_page_size()");
    return Number(pages?.n ?? 0) * Number(size?.n ?? 0);
  }
  const [row] = await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT pg_database_size(current_database())::bigint AS n");
  return Number(row?.n ?? 0);
}

function build(dump: string, node: string, capturedAt: Date, captureId: string): BuiltCapture {
  const built = buildIptablesCapture(dump, { captureId, cluster: "bench", node, capturedAt: capturedAt.toISOString(), backend: "iptables-nft" });
  if (!built.ok) throw new Error(`bench dump does not parse: ${JSON.stringify(built.error)}`);
  return built.capture;
}

const request = (upload: CaptureUpload) => captureRequestSchema.parse(upload);

function expectStored(result: IngestCaptureResult, what: string): void {
  if (!result.ok) throw new Error(`${what}: ${result.error.status} ${result.error.error}`);
}

/** Post, and on 409 post again with the bodies asked for (what the agent does). */
async function ingestWithResend(db: Db, clusterId: number, capture: BuiltCapture, upload = capture.upload) {
  const t0 = performance.now();
  const first = await ingestCapture(db, clusterId, request(upload), RETENTION);
  const t1 = performance.now();
  if (first.ok || first.error.status !== 409) return { first, final: first, firstMs: t1 - t0, finalMs: 0, complete: upload };
  const complete = withChainBodies(upload, capture.bodiesByDigest, (first.error.detail as { missingChains: string[] }).missingChains);
  const final = await ingestCapture(db, clusterId, request(complete), RETENTION);
  return { first, final, firstMs: t1 - t0, finalMs: performance.now() - t1, complete };
}

let captureSeq = 0;
const nextId = () => `bench-${process.pid}-${++captureSeq}`;

/** The per-provider figures: one node with the 10k-service ruleset. */
async function providerFigures(provider: DatabaseProvider, services: ServiceSpec[], dump: string, rows: BenchRow[], notes: string[]): Promise<void> {
  process.stderr.write(`bench: ingest on ${provider}, one node with the 10k-service ruleset\n`);
  const scratch = await scratchDatabase(provider);
  const { db } = scratch;
  try {
    const cluster = await db.cluster.create({ data: { name: "bench" } });
    let minute = 0;
    const start = Date.now() - 2 * 86_400_000;
    const time = () => new Date(start + minute++ * 60_000);

    // First capture of the 10k-service dump: the manifest-only request, then the one with the missing bodies.
    const first = build(dump, "node-0", time(), nextId());
    const firstRound = await ingestWithResend(db, cluster.id, first);
    expectStored(firstRound.final, "first 10k capture");
    const manifestBytes = Buffer.byteLength(JSON.stringify(first.upload));
    const completeJson = JSON.stringify(firstRound.complete);
    rows.push({
      measure: `${provider}: first capture of the 10k-service dump, manifest only (answered 409)`,
      value: `${fmtMs(firstRound.firstMs)}; ${fmtBytes(manifestBytes)} JSON, ${fmtBytes(gzipSync(JSON.stringify(first.upload)).length)} gzip`,
      budget: "",
      ok: null,
    });
    rows.push({
      measure: `${provider}: first capture of the 10k-service dump, with the ${first.bodiesByDigest.size} missing bodies`,
      value: `${fmtMs(firstRound.finalMs)}; ${fmtBytes(Buffer.byteLength(completeJson))} JSON, ${fmtBytes(gzipSync(completeJson).length)} gzip`,
      budget: "",
      ok: null,
    });

    // Unchanged captures: the ruleset digest alone.
    const unchanged = (counters: CaptureUpload["counters"] = []) =>
      unchangedCaptureUpload({ ...first.upload, captureId: nextId(), capturedAt: time().toISOString(), counters });
    const wire = JSON.stringify(unchanged());
    const times: number[] = [];
    const bytesBefore = await databaseBytes(db, provider);
    for (let i = 0; i < UNCHANGED_RUNS; i++) {
      const upload = unchanged();
      const t0 = performance.now();
      expectStored(await ingestCapture(db, cluster.id, request(upload), RETENTION), "unchanged capture");
      times.push(performance.now() - t0);
    }
    const perUnchanged = ((await databaseBytes(db, provider)) - bytesBefore) / UNCHANGED_RUNS;
    const p50 = median(times);
    rows.push({
      measure: `${provider}: unchanged capture (${UNCHANGED_RUNS} runs), p50 / p99`,
      value: `${fmtMs(p50)} / ${fmtMs(percentile(times, 99))}; request ${Buffer.byteLength(wire)} B JSON`,
      budget: provider === "sqlite" ? "p50 < 20 ms, request < 1 KB" : "request < 1 KB",
      ok: (provider !== "sqlite" || p50 < 20) && Buffer.byteLength(wire) < 1024,
    });
    rows.push({ measure: `${provider}: database bytes per unchanged capture`, value: `${perUnchanged.toFixed(0)} B`, budget: "O(1)", ok: null });

    // Unchanged rules, busy counters: 10 balancing rules counted more connections.
    const svcEntries = first.upload.manifest!.filter((e) => e.chain.startsWith("KUBE-SVC-")).slice(0, 10);
    const counterTimes: number[] = [];
    for (let i = 1; i <= 50; i++) {
      const counters = svcEntries.map((e) => ({ chainDigest: e.digest, rule: 1, packets: i * 3, bytes: i * 180 }));
      const t0 = performance.now();
      expectStored(await ingestCapture(db, cluster.id, request(unchanged(counters)), RETENTION), "counter capture");
      counterTimes.push(performance.now() - t0);
    }
    rows.push({
      measure: `${provider}: unchanged rules with 10 changed balancing counters (50 runs), p50 / p99`,
      value: `${fmtMs(median(counterTimes))} / ${fmtMs(percentile(counterTimes, 99))}`,
      budget: "",
      ok: null,
    });

    // Changed captures: 1 service, then 1% of services (endpoint replaced, added or removed).
    let current = services;
    for (const [label, fraction, seed] of [["1 service", 1 / services.length, 11], ["1% of services", 0.01, 12]] as const) {
      current = mutateServices(current, fraction, seed);
      const changed = build(renderServicesDump(current), "node-0", time(), nextId());
      const before = await databaseBytes(db, provider);
      const round = await ingestWithResend(db, cluster.id, changed);
      expectStored(round.final, `capture with ${label} changed`);
      const added = (await databaseBytes(db, provider)) - before;
      const snapshotId = Number((round.final as { accepted: { snapshotId: string } }).accepted.snapshotId);
      const snapshot = await db.snapshot.findUniqueOrThrow({ where: { id: snapshotId }, include: { ruleset: true } });
      const k = await db.rulesetChain.count({ where: { rulesetDigest: snapshot.rulesetDigest } });
      const changes = await db.serviceChange.count({ where: { snapshotId } });
      rows.push({
        measure: `${provider}: capture with ${label} changed (k = ${k} manifest rows, ${changes} service changes)`,
        value: `${fmtBytes(added)} added; ingest ${fmtMs(round.firstMs + round.finalMs)} (409 round included)`,
        budget: "O(k)",
        ok: null,
      });
    }
    notes.push(
      `${provider}: the 10k-service ruleset has ${first.upload.manifest!.length} chains (${first.bodiesByDigest.size} distinct bodies); ` +
        `a changed capture is stored as a delta of the node's previous ruleset and its model is rebuilt from all bodies.`,
    );
  } finally {
    await scratch.drop();
  }
}

/** 50 nodes × 200 captures of one cluster's services, 1% of them changing every round. */
async function fleetFigures(provider: DatabaseProvider, rows: BenchRow[], FLEET: FleetShape): Promise<void> {
  const scratch = await scratchDatabase(provider);
  const { db } = scratch;
  try {
    const cluster = await db.cluster.create({ data: { name: "bench" } });
    let services = generateServices({ services: FLEET.services, endpointsPerService: 5, seed: 3 });
    const start = Date.now() - 2 * 86_400_000;
    const emptyBytes = await databaseBytes(db, provider);
    let rawBytes = 0;
    const lastDigest = new Map<string, string>();
    let changedCaptures = 0;
    const t0 = performance.now();
    for (let round = 0; round < FLEET.captures; round++) {
      if (round % 20 === 0) process.stderr.write(`bench: ingest fleet on ${provider}, round ${round}/${FLEET.captures}\n`);
      if (round > 0) services = mutateServices(services, FLEET.churn, 100 + round);
      const dump = renderServicesDump(services);
      const capturedAt = new Date(start + round * 60_000);
      // Every node captured the same rules: parse once per round (the agent's work, not the server's).
      const template = build(dump, "node-0", capturedAt, nextId());
      for (let n = 0; n < FLEET.nodes; n++) {
        const node = `node-${n}`;
        const capture = { ...template, upload: { ...template.upload, node, captureId: nextId() } };
        rawBytes += Buffer.byteLength(dump);
        // What an agent sends: the digest alone when its rules did not change since its last accepted upload.
        const unchanged = lastDigest.get(node) === capture.upload.rulesetDigest;
        const upload = unchanged ? unchangedCaptureUpload(capture.upload) : capture.upload;
        const result = await ingestWithResend(db, cluster.id, capture, { ...upload, counters: [] });
        expectStored(result.final, "fleet capture");
        lastDigest.set(node, capture.upload.rulesetDigest as string);
        if (result.final.ok && result.final.accepted.newSnapshot && round > 0) changedCaptures++;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const stored = (await databaseBytes(db, provider)) - emptyBytes;
    const total = FLEET.nodes * FLEET.captures;
    rows.push({
      measure: `${provider}: fleet of ${FLEET.nodes} nodes × ${FLEET.captures} captures, ${FLEET.services} services, ${FLEET.churn * 100}% changing per round`,
      value: `${fmtBytes(stored)} stored for ${fmtBytes(rawBytes)} of raw dumps (${((stored / rawBytes) * 100).toFixed(2)}%); ${changedCaptures} of ${total} captures changed; ${seconds.toFixed(0)} s, ${fmtMs((seconds * 1000) / total)} per capture (ingest and the simulation's rendering)`,
      budget: "",
      ok: null,
    });
  } finally {
    await scratch.drop();
  }
}

/** The section; `fleet` shrinks the fleet simulation (for a quick look), `providers` limits the databases. */
export async function ingestSection(
  options: { fleet?: Partial<FleetShape>; providers?: readonly DatabaseProvider[]; skipSingleNode?: boolean; skipFleet?: boolean } = {},
): Promise<BenchSection> {
  const fleet = { ...FLEET, ...options.fleet };
  const providers = options.providers ?? (["sqlite", "postgresql"] as const);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const services = generateServices({ services: 10_000, endpointsPerService: 5 });
  const dump = renderServicesDump(services);
  notes.push(`10k-service dump: ${fmtBytes(Buffer.byteLength(dump))}, ${dump.split("\n").length} lines (restore-input form, no counters).`);
  if (!options.skipSingleNode) for (const provider of providers) await providerFigures(provider, services, dump, rows, notes);
  if (!options.skipFleet) for (const provider of providers) await fleetFigures(provider, rows, fleet);
  notes.push(
    `Fleet: every node holds the cluster's ${fleet.services} services (kube-proxy programs every service on every node), so nodes share rulesets; ` +
      `each round ${fleet.churn * 100}% of services change (an endpoint replaced, added or removed), so every capture after the first round is a changed one. ` +
      `Raw size counts each capture's whole dump, as storing dumps verbatim would. The 10k-service fleet is left out to keep the run affordable.`,
  );
  notes.push("Timings include the use case's transaction and the database round trips, not HTTP or JSON parsing of the request.");
  return { title: "Ingest: captures into storage", rows, notes };
}
