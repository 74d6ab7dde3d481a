/**
 * Loads the demo history into DATABASE_URL: the seed's scenario (lab/demo/seed-story.ts) as the four node agents
 * and kube-inventory would have posted it over the last hour, through the same ingest use cases the API routes
 * call. Does nothing when the demo cluster already has data, so `npm run demo` can be run again.
 * Usage: node --import tsx scripts/demo-data.ts [--force]
 */
import { buildIptablesCapture, withChainBodies } from "../lib/capture/build-capture-upload";
import { captureRequestSchema } from "../lib/contracts/capture";
import { kubeEventBatchSchema } from "../lib/contracts/kube-events";
import { ensureCluster } from "../lib/server/clusters/ensure-cluster";
import { openMigratedDb, type Db } from "../lib/server/db";
import { getEnv } from "../lib/server/env";
import { ingestCapture } from "../lib/server/captures/ingest-capture";
import { ingestKubeEvents } from "../lib/server/kube-events/ingest-kube-events";
import { SEED_NODES, seedStory } from "../lab/demo/seed-story";
import { demoConntrack } from "./demo-conntrack";
import { isMain, repoRoot } from "./db-cli";

/** The demo cluster's name: the seed's kind cluster. */
export const DEMO_CLUSTER = "myk8s";

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

async function main(): Promise<void> {
  const db = await openMigratedDb(getEnv().databaseUrl, repoRoot);
  try {
    const started = Date.now();
    const stored = await loadDemoHistory(db, { force: process.argv.includes("--force") });
    console.log(stored ? `Demo history loaded: ${stored} captures in ${((Date.now() - started) / 1000).toFixed(1)} s.` : "Demo history already present.");
  } finally {
    await db.$disconnect();
  }
}

if (isMain(import.meta.url)) await main();
