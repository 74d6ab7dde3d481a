/**
 * The dashboard benchmark's history, seeded through the use cases in bulk and cached (see bench/sections/dashboard.ts
 * for what it holds and why it is not posted over HTTP).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildIptablesCapture, withChainBodies, type BuiltCapture } from "../lib/capture/build-capture-upload";
import { captureRequestSchema, type CaptureUpload } from "../lib/contracts/capture";
import { ingestCapture } from "../lib/server/captures/ingest-capture";
import { openMigratedDb, type Db } from "../lib/server/db";
import { repoRoot } from "../scripts/db-cli";
import { migrateDatabase } from "../scripts/db-migrate";
import { generateServices, mutateServices, renderServicesDump } from "./generate-nat-dump";

/** Bump when the seeded history changes meaning; the cache key also hashes the dump generator's source. */
const SEED_VERSION = 2;

export interface HistoryShape {
  nodes: number;
  days: number;
  /** Minutes between two captures of a node. */
  captureMinutes: number;
  services: number;
  /** Minutes between two rollouts, and the fraction of services each touches. */
  rolloutMinutes: number;
  churn: number;
}

export const SHAPE: HistoryShape = { nodes: 4, days: 30, captureMinutes: 1, services: 500, rolloutMinutes: 120, churn: 0.01 };

export const CLUSTER = "bench";
const RETENTION = { retentionDays: 3650 };
export const MINUTE = 60_000;

/** What the seeding leaves for the measurement besides the database. */
export interface SeedMeta {
  end: string;
  busiestPort: string;
  captures: number;
  changedCaptures: number;
  serviceChanges: number;
  trafficRows: number;
  seedSeconds: number;
}

export const nodeName = (i: number) => `node-${i}`;

function cacheKey(shape: HistoryShape): string {
  const generator = readFileSync(path.join(repoRoot, "bench/generate-nat-dump.ts"));
  return createHash("sha256").update(JSON.stringify({ SEED_VERSION, shape })).update(generator).digest("hex").slice(0, 12);
}

/** Post, and on 409 post again with the bodies asked for (what the agent does). */
async function ingestWithResend(db: Db, clusterId: number, capture: BuiltCapture, now: Date): Promise<void> {
  const request = (upload: CaptureUpload) => captureRequestSchema.parse(upload);
  let result = await ingestCapture(db, clusterId, request(capture.upload), { ...RETENTION, now });
  if (!result.ok && result.error.status === 409) {
    const missing = (result.error.detail as { missingChains: string[] }).missingChains;
    result = await ingestCapture(db, clusterId, request(withChainBodies(capture.upload, capture.bodiesByDigest, missing)), { ...RETENTION, now });
  }
  if (!result.ok) throw new Error(`bench capture refused: ${result.error.status} ${result.error.error}`);
}

/** Chunked createMany: SQLite binds at most 32766 parameters per statement. */
async function insertChunked<T>(rows: readonly T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/**
 * Captures of `nodeId` at every capture minute in [fromMinute, toMinute) that found the rules unchanged: the Capture
 * rows, and the covering snapshot extended to the last of them (what ingest writes for an unchanged capture).
 */
async function fillUnchanged(db: Db, nodeId: number, node: string, start: number, fromMinute: number, toMinute: number, step: number): Promise<number> {
  if (toMinute <= fromMinute) return 0;
  const snapshot = await db.snapshot.findFirstOrThrow({ where: { nodeId, family: "ipv4" }, orderBy: [{ firstSeen: "desc" }, { id: "desc" }] });
  const rows = [];
  for (let m = fromMinute; m < toMinute; m += step) {
    rows.push({ nodeId, captureId: `bench-${node}-${m}`, family: "ipv4", capturedAt: new Date(start + m * MINUTE), snapshotId: snapshot.id });
  }
  await insertChunked(rows, 4_000, (data) => db.capture.createMany({ data }));
  const last = rows[rows.length - 1]!.capturedAt;
  await db.snapshot.update({ where: { id: snapshot.id }, data: { lastSeen: last, captureCount: { increment: rows.length } } });
  await db.node.update({ where: { id: nodeId }, data: { lastSeen: last } });
  return rows.length;
}

/** Seeds the history into a fresh SQLite database at `file`. */
async function seedHistory(file: string, shape: HistoryShape): Promise<SeedMeta> {
  const t0 = performance.now();
  await migrateDatabase(`file:${file}`);
  const db = await openMigratedDb(`file:${file}`, repoRoot);
  try {
    const cluster = await db.cluster.create({ data: { name: CLUSTER } });
    const totalMinutes = shape.days * 1440;
    const end = Math.floor(Date.now() / MINUTE) * MINUTE;
    const start = end - totalMinutes * MINUTE;
    const now = new Date(end + MINUTE);
    const lastMinute = new Map<number, number>(); // node index → next minute to fill
    const nodeIds = new Map<number, number>();
    let services = generateServices({ services: shape.services, endpointsPerService: 5, seed: 21 });
    let captures = 0;
    let changedCaptures = 0;
    const rollouts = Math.floor(totalMinutes / shape.rolloutMinutes);
    for (let k = 0; k <= rollouts; k++) {
      if (k % 24 === 0) process.stderr.write(`bench: dashboard history, rollout ${k}/${rollouts}\n`);
      const minute = k * shape.rolloutMinutes;
      if (minute >= totalMinutes) break;
      if (k > 0) services = mutateServices(services, shape.churn, 1_000 + k);
      const dump = renderServicesDump(services);
      for (let n = 0; n < shape.nodes; n++) {
        // The last node's kube-proxy is a minute late, and once a day five minutes.
        const lag = k === 0 || n < shape.nodes - 1 ? 0 : k % 12 === 0 ? 5 : 1;
        const at = minute + lag;
        const built = buildIptablesCapture(dump, { captureId: `bench-${nodeName(n)}-${at}`, cluster: CLUSTER, node: nodeName(n), capturedAt: new Date(start + at * MINUTE).toISOString(), backend: "iptables-nft" });
        if (!built.ok) throw new Error(`bench dump does not parse: ${JSON.stringify(built.error)}`);
        const id = nodeIds.get(n);
        if (id !== undefined) captures += await fillUnchanged(db, id, nodeName(n), start, lastMinute.get(n)!, at, shape.captureMinutes);
        await ingestWithResend(db, cluster.id, built.capture, now);
        if (id === undefined) nodeIds.set(n, (await db.node.findUniqueOrThrow({ where: { clusterId_name: { clusterId: cluster.id, name: nodeName(n) } } })).id);
        lastMinute.set(n, at + shape.captureMinutes);
        captures++;
        changedCaptures++;
      }
    }
    for (let n = 0; n < shape.nodes; n++) captures += await fillUnchanged(db, nodeIds.get(n)!, nodeName(n), start, lastMinute.get(n)!, totalMinutes + 1, shape.captureMinutes);

    // Conntrack every capture: a daily wave of entries and slowly growing counters.
    process.stderr.write("bench: dashboard history, conntrack and traffic\n");
    for (let n = 0; n < shape.nodes; n++) {
      const samples = [];
      for (let m = 0; m <= totalMinutes; m += shape.captureMinutes) {
        const count = 2_000 + n * 300 + Math.round(1_500 * (1 + Math.sin((m / 1440) * 2 * Math.PI)));
        const perCpu = [0, 1].map((cpu) => ({ cpu, found: m * 40, invalid: Math.floor(m / 90), insert: m * 12, insertFailed: Math.floor(m / 720), drop: Math.floor(m / 1440), earlyDrop: 0, error: 0, searchRestart: Math.floor(m / 60) }));
        const sum = (key: keyof (typeof perCpu)[number]) => BigInt(perCpu.reduce((s, c) => s + c[key], 0));
        samples.push({
          nodeId: nodeIds.get(n)!, capturedAt: new Date(start + m * MINUTE), count, max: 262_144,
          found: sum("found"), invalid: sum("invalid"), insert: sum("insert"), insertFailed: sum("insertFailed"), drop: sum("drop"), earlyDrop: 0n, error: 0n, searchRestart: sum("searchRestart"),
          perCpu,
        });
      }
      await insertChunked(samples, 2_000, (data) => db.conntrackSample.createMany({ data }));
    }

    // The service page measured is the busiest service port: of those balancing to three endpoints or more at the end,
    // the one whose history has the most changes.
    const counts = await db.serviceChange.groupBy({ by: ["servicePort"], where: { clusterId: cluster.id }, _count: { _all: true }, orderBy: { _count: { servicePort: "desc" } } });
    const model = await db.snapshot.findFirstOrThrow({ where: { nodeId: nodeIds.get(0)! }, orderBy: { firstSeen: "desc" }, select: { ruleset: { select: { model: { select: { model: true } } } } } });
    const ports = (model.ruleset.model?.model as { servicePorts: { name: string; endpoints: { address: string }[] }[] } | undefined)?.servicePorts ?? [];
    const endpointsOf = new Map(ports.map((p) => [p.name, p.endpoints.map((e) => e.address)]));
    const busiest = counts.find((c) => (endpointsOf.get(c.servicePort)?.length ?? 0) >= 3) ?? counts[0];
    if (!busiest) throw new Error("the seeded history has no service change");
    const endpoints = endpointsOf.get(busiest.servicePort) ?? [];
    let trafficRows = 0;
    for (let n = 0; n < shape.nodes; n++) {
      const rows = [];
      for (let m = 0; m < totalMinutes; m += shape.captureMinutes) {
        for (const [i, endpoint] of endpoints.entries()) {
          rows.push({ nodeId: nodeIds.get(n)!, servicePort: busiest.servicePort, endpoint, windowStart: new Date(start + m * MINUTE), windowEnd: new Date(start + (m + shape.captureMinutes) * MINUTE), newConnections: 1 + ((m + i * 3 + n) % 7) });
        }
      }
      await insertChunked(rows, 4_000, (data) => db.endpointTraffic.createMany({ data }));
      trafficRows += rows.length;
    }
    const serviceChanges = await db.serviceChange.count({ where: { clusterId: cluster.id } });
    return { end: new Date(start + totalMinutes * MINUTE).toISOString(), busiestPort: busiest.servicePort, captures, changedCaptures, serviceChanges, trafficRows, seedSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await db.$disconnect();
  }
}

/** The cached seeded database for `shape`, seeding it first when absent. */
export async function seededDatabase(shape: HistoryShape): Promise<{ file: string; meta: SeedMeta; cached: boolean }> {
  const dir = path.join(repoRoot, "bench/out");
  await mkdir(dir, { recursive: true });
  const key = cacheKey(shape);
  const file = path.join(dir, `dashboard-history-${key}.db`);
  const metaFile = `${file}.json`;
  if (existsSync(file) && existsSync(metaFile)) return { file, meta: JSON.parse(await readFile(metaFile, "utf8")) as SeedMeta, cached: true };
  // Seed into a temporary name: an interrupted run must not leave a half history that a later run would trust.
  const partial = `${file}.partial`;
  await Promise.all(["", "-wal", "-shm"].map((s) => rm(partial + s, { force: true })));
  const meta = await seedHistory(partial, shape);
  for (const suffix of ["-wal", "-shm"]) await rm(partial + suffix, { force: true });
  await rename(partial, file);
  await writeFile(metaFile, JSON.stringify(meta, null, 2));
  return { file, meta, cached: false };
}

