/**
 * Replaying a recording (record-proxy.ts) into a database through the ingest use cases the API routes call, so a
 * machine without root, kernel or collectors gets the state the recorded server had — moved in time so that the
 * recording ends now.
 *
 * Only the requests the recorded server accepted (2xx) are replayed, in the order it answered them: the refused
 * ones stored nothing there (a capture answered 409 "send these chain bodies" is followed by its resend, which is
 * recorded too), so on a fresh database the accepted ones alone rebuild the same history.
 *
 * Replaying is idempotent: captures are stored once per (node, capture id, family) and kube events once per
 * (kind, namespace, name, resourceVersion, type), whatever their times. A replay into a database that already holds
 * the recording reuses the shift it was first replayed with (read back from the first capture), so the shifted
 * scenario it returns names the times the database holds.
 */
import { captureRequestSchema, type CaptureRequest } from "../../lib/contracts/capture";
import { kubeEventBatchSchema, type KubeEventBatch } from "../../lib/contracts/kube-events";
import { ingestCapture } from "../../lib/server/captures/ingest-capture";
import { ensureCluster } from "../../lib/server/clusters/ensure-cluster";
import type { Db } from "../../lib/server/db";
import { ingestKubeEvents } from "../../lib/server/kube-events/ingest-kube-events";
import type { RecordedRequest, Recording } from "./recording-format";
import { shiftTimes, shiftTimestamp, shiftToEnd } from "./time-shift";

/** Settings of one replay. */
export interface ReplayOptions {
  /** History older than this is refused by ingest, as on the recorded server (env `NATWATCH_RETENTION_DAYS`). */
  retentionDays: number;
  /** Where the replayed history ends (default: now). */
  end?: Date;
  /** Stop at once when the database already holds the recording (a demo started again), instead of re-checking every request. */
  stopIfPresent?: boolean;
}

/** What a replay did. */
export interface ReplayResult {
  /** Milliseconds added to every recorded time. */
  shiftMs: number;
  /** True when the database already held this recording (its first capture), whose shift was kept. */
  alreadyPresent: boolean;
  captures: { stored: number; duplicates: number };
  kubeEvents: { stored: number; duplicates: number };
  /** Requests the recorded server had refused, left out. */
  skipped: number;
  /** The clusters the recording wrote for. */
  clusters: string[];
  /** The recording's scenario.json with its times shifted; null when it has none. */
  scenario: unknown;
}

const accepted = (request: RecordedRequest) => request.status >= 200 && request.status < 300 && request.body !== null;

/** Replays `recording` into `db` (see the module comment). Throws when an accepted request is refused now. */
export async function replayRecording(db: Db, recording: Recording, options: ReplayOptions): Promise<ReplayResult> {
  const end = options.end ?? new Date();
  const requests = recording.requests.filter(accepted);
  const result: ReplayResult = {
    shiftMs: 0,
    alreadyPresent: false,
    captures: { stored: 0, duplicates: 0 },
    kubeEvents: { stored: 0, duplicates: 0 },
    skipped: recording.requests.length - requests.length,
    clusters: [...new Set(requests.map((r) => (r.body as { cluster?: unknown }).cluster).filter((c): c is string => typeof c === "string"))].sort(),
    scenario: null,
  };
  if (recording.requests.length === 0) return { ...result, scenario: recording.scenario };
  const last = new Date(Math.max(...recording.requests.map((r) => Date.parse(r.at))));
  const present = await presentShift(db, requests);
  result.shiftMs = present ?? shiftToEnd(last, end);
  result.alreadyPresent = present !== null;
  if (result.alreadyPresent && options.stopIfPresent) return { ...result, scenario: shiftTimes(recording.scenario, result.shiftMs) };

  const clusterIds = new Map<string, number>();
  const clusterId = async (name: string) => {
    if (!clusterIds.has(name)) clusterIds.set(name, (await ensureCluster(db, name)).id);
    return clusterIds.get(name) as number;
  };
  for (const [index, request] of requests.entries()) {
    const where = `${recording.dir}: accepted request ${index + 1} (${request.path} at ${request.at})`;
    if (request.path === "/api/v1/captures") {
      const capture = shiftCapture(parseOrThrow(captureRequestSchema, request.body, where), result.shiftMs);
      const ingested = await ingestCapture(db, await clusterId(capture.cluster), capture, { retentionDays: options.retentionDays, now: end });
      if (!ingested.ok) throw new Error(`${where} was refused on replay: ${ingested.error.status} ${ingested.error.error}`);
      result.captures[ingested.accepted.duplicate ? "duplicates" : "stored"]++;
    } else {
      const batch = shiftKubeEvents(parseOrThrow(kubeEventBatchSchema, request.body, where), result.shiftMs);
      const answer = await ingestKubeEvents(db, await clusterId(batch.cluster), batch);
      result.kubeEvents.stored += answer.stored;
      result.kubeEvents.duplicates += answer.duplicates;
    }
  }
  result.scenario = shiftTimes(recording.scenario, result.shiftMs);
  return result;
}

/** The capture with its time moved; a capture carries no other instant (conntrack samples are taken at capturedAt). */
function shiftCapture(capture: CaptureRequest, shiftMs: number): CaptureRequest {
  return { ...capture, capturedAt: shiftTimestamp(capture.capturedAt, shiftMs) ?? capture.capturedAt };
}

/** The batch with every event's observedAt and the times inside its object (creationTimestamp, conditions…) moved. */
function shiftKubeEvents(batch: KubeEventBatch, shiftMs: number): KubeEventBatch {
  return {
    ...batch,
    events: batch.events.map((event) => ({
      ...event,
      observedAt: shiftTimestamp(event.observedAt, shiftMs) ?? event.observedAt,
      object: shiftTimes(event.object, shiftMs),
    })),
  };
}

/**
 * The shift the recording was replayed with before, when the database holds its first accepted capture: that
 * capture's stored time minus its recorded one. null when it is not there (a fresh database).
 */
async function presentShift(db: Db, requests: readonly RecordedRequest[]): Promise<number | null> {
  const first = requests.find((r) => r.path === "/api/v1/captures");
  if (!first) return null;
  const parsed = captureRequestSchema.safeParse(first.body);
  if (!parsed.success) return null;
  const capture = parsed.data;
  const stored = await db.capture.findFirst({
    where: { captureId: capture.captureId, family: capture.family, node: { name: capture.node, cluster: { name: capture.cluster } } },
    select: { capturedAt: true },
  });
  return stored ? stored.capturedAt.getTime() - Date.parse(capture.capturedAt) : null;
}

function parseOrThrow<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, body: unknown, where: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${where} does not match today's contract: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
}
