/**
 * Loads the demo history into DATABASE_URL, through the same ingest use cases the API routes call:
 * - the lab's recording of the seed scenario (lab/recordings/seed, made with
 *   `npm run lab -- --scenario seed --record lab/recordings/seed`) when it is checked in: real node agents and
 *   kube-inventory on the network-namespace cluster, replayed so that it ends now (lab/recording/replay.ts), and its
 *   scenario.json, times moved the same way, written next to a SQLite database (`data/natwatch.scenario.json`);
 * - otherwise the simulated seed story (lab/demo/seed-story.ts) as the four node agents and kube-inventory would
 *   have posted it over the last hour.
 * Does nothing when the demo data is already there, so `npm run demo` can be run again.
 * Usage: node --import tsx scripts/demo-data.ts [--force] [--story | --recording DIR] [--scenario-out FILE]
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIptablesCapture, withChainBodies } from "../lib/capture/build-capture-upload";
import { captureRequestSchema } from "../lib/contracts/capture";
import { kubeEventBatchSchema } from "../lib/contracts/kube-events";
import { ensureCluster } from "../lib/server/clusters/ensure-cluster";
import { openMigratedDb, type Db } from "../lib/server/db";
import { databaseProviderOf, getEnv, sqliteFilePath } from "../lib/server/env";
import { ingestCapture } from "../lib/server/captures/ingest-capture";
import { ingestKubeEvents } from "../lib/server/kube-events/ingest-kube-events";
import { SEED_NODES, seedStory } from "../lab/demo/seed-story";
import { hasRecording, readRecording } from "../lab/recording/recording-format";
import { replayRecording, type ReplayResult } from "../lab/recording/replay";
import { demoConntrack } from "./demo-conntrack";
import { isMain, repoRoot } from "./db-cli";

/** The demo cluster's name: the seed's kind cluster. */
export const DEMO_CLUSTER = "myk8s";

/** Where the lab's recording of the seed scenario is checked in. */
export const SEED_RECORDING_DIR = path.join(repoRoot, "lab/recordings/seed");

/** What the demo shows: a lab recording, or the simulated story. */
export type DemoSource = { kind: "recording"; dir: string } | { kind: "story" };

/** The recording in `dir` when there is one, else the story: `npm run demo` and the browser tests' server both ask this. */
export async function chooseDemoSource(dir: string = SEED_RECORDING_DIR): Promise<DemoSource> {
  return (await hasRecording(dir)) ? { kind: "recording", dir } : { kind: "story" };
}

/** Replays the recording so that it ends at `end` (default now); a recording already there is left as it is. */
export async function loadDemoRecording(db: Db, dir: string, options: { force?: boolean; end?: Date } = {}): Promise<ReplayResult> {
  const recording = await readRecording(dir);
  return replayRecording(db, recording, { retentionDays: getEnv().retentionDays, end: options.end, stopIfPresent: !options.force });
}

/** Loads the story ending now; returns the number of captures stored (0 when the cluster already had data). */
export async function loadDemoHistory(db: Db, options: { force?: boolean; end?: Date } = {}): Promise<number> {
  const cluster = await ensureCluster(db, DEMO_CLUSTER);
  if (!options.force && (await db.node.count({ where: { clusterId: cluster.id } })) > 0) return 0;
  const { retentionDays } = getEnv();
  const end = options.end ?? new Date();
  const story = seedStory(end);

  // Pod events first, as kube-inventory posts them as they happen; captures then link their changes to them.
  const batch = kubeEventBatchSchema.parse({
    cluster: DEMO_CLUSTER,
    events: story.podEvents.map((e) => ({
      kind: "Pod",
      type: e.type,
      observedAt: e.at.toISOString(),
      object: {
        metadata: { name: e.pod.name, namespace: e.pod.namespace, resourceVersion: e.pod.resourceVersion },
        spec: { nodeName: e.pod.node },
        status: { podIP: e.pod.ip, podIPs: [{ ip: e.pod.ip }] },
      },
    })),
  });
  await ingestKubeEvents(db, cluster.id, batch);

  let stored = 0;
  for (const [i, capture] of story.captures.entries()) {
    const built = buildIptablesCapture(capture.iptablesSave, {
      captureId: `demo-${capture.node}-${capture.at.getTime()}-${i}`,
      cluster: DEMO_CLUSTER,
      node: capture.node,
      capturedAt: capture.at.toISOString(),
      backend: "iptables-nft",
    });
    if (!built.ok) throw new Error(`demo capture ${i} does not parse: ${built.error.reason} (line ${built.error.line})`);
    // As an agent does: the manifest first, then the bodies of the chains the server says it lacks.
    const role = capture.role;
    const conntrack = demoConntrack(SEED_NODES.findIndex((n) => n.name === capture.node), (end.getTime() - capture.at.getTime()) / 60_000);
    let request = captureRequestSchema.parse({ ...built.capture.upload, role, conntrack });
    let result = await ingestCapture(db, cluster.id, request, { retentionDays, now: end });
    if (!result.ok && result.error.status === 409) {
      const missing = (result.error.detail as { missingChains: string[] }).missingChains;
      request = captureRequestSchema.parse({ ...withChainBodies(built.capture.upload, built.capture.bodiesByDigest, missing), role, conntrack });
      result = await ingestCapture(db, cluster.id, request, { retentionDays, now: end });
    }
    if (!result.ok) throw new Error(`demo capture ${i} refused: ${result.error.status} ${result.error.error}`);
    stored++;
  }
  return stored;
}

/** Where the shifted scenario.json goes by default: beside a SQLite database file, none for PostgreSQL. */
function defaultScenarioOut(databaseUrl: string): string | null {
  if (databaseProviderOf(databaseUrl) !== "sqlite") return null;
  const file = sqliteFilePath(databaseUrl);
  return path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.scenario.json`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { force: { type: "boolean" }, story: { type: "boolean" }, recording: { type: "string" }, "scenario-out": { type: "string" } },
  });
  const { databaseUrl } = getEnv();
  const source: DemoSource = values.story ? { kind: "story" } : values.recording ? { kind: "recording", dir: values.recording } : await chooseDemoSource();
  const db = await openMigratedDb(databaseUrl, repoRoot);
  try {
    const started = Date.now();
    const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
    if (source.kind === "story") {
      const stored = await loadDemoHistory(db, { force: values.force });
      console.log(stored ? `Demo history (simulated seed story) loaded: ${stored} captures in ${seconds()} s.` : "Demo history already present.");
      return;
    }
    const result = await loadDemoRecording(db, source.dir, { force: values.force });
    const relative = path.relative(repoRoot, path.resolve(source.dir));
    const from = relative.startsWith("..") ? source.dir : relative;
    console.log(
      result.alreadyPresent && result.captures.stored === 0
        ? `Demo recording ${from} already present.`
        : `Demo recording ${from} replayed: ${result.captures.stored} captures and ${result.kubeEvents.stored} kube events in ${seconds()} s.`,
    );
    const scenarioOut = values["scenario-out"] ?? defaultScenarioOut(databaseUrl);
    if (scenarioOut && result.scenario !== null) await writeFile(scenarioOut, `${JSON.stringify(result.scenario, null, 2)}\n`);
  } finally {
    await db.$disconnect();
  }
}

if (isMain(import.meta.url)) await main();
