/**
 * The capture upload client, shared by the node agent and `natwatch import`: gzip'd JSON to
 * `POST /api/v1/captures`, then the 409 round the content-addressed protocol asks for.
 *
 * The server answers 201 stored, 200 already stored (a retry), 409 when it lacks chain bodies
 * (`detail.missingChains`) or the whole ruleset a digest-only upload named (`detail.unknownRuleset`), and
 * 400/401/403/413/415 for uploads that will never be accepted as they are. Network errors, 5xx, 408 and 429 are
 * worth retrying; the agent retries with backoff and then spools.
 */
import { gzipSync } from "node:zlib";
import { unchangedCaptureUpload } from "../../lib/capture/build-capture-upload";
import type { CaptureAccepted, CaptureUpload, ChainBodyUpload } from "../../lib/contracts/capture";

/** Where uploads go. */
export interface UploadTarget {
  /** Base URL of the natwatch app. */
  server: string;
  token: string;
}

/** What became of one capture. `bytesSent` counts the request bodies of every round (gzip'd). */
export type UploadOutcome =
  | { kind: "accepted"; status: number; body: CaptureAccepted; bytesSent: number }
  | { kind: "refused"; status: number; body: unknown; bytesSent: number }
  | { kind: "unreachable"; cause: string; bytesSent: number };

/** A capture ready to send: the full upload (with manifest) and where its chain bodies can be found. */
export interface PendingCapture {
  upload: CaptureUpload;
  bodyOf(digest: string): string | undefined;
  /** The server is known to have this ruleset: try the digest alone first (an unchanged capture, < 1 KB). */
  serverHasRuleset: boolean;
}

/** At most: a digest-only try, then the manifest, then the manifest with bodies. */
const MAX_ROUNDS = 3;

/** Sends one capture, answering the server's 409s, without retrying unreachable servers. */
export async function sendCapture(target: UploadTarget, capture: PendingCapture, timeoutMs = 120_000): Promise<UploadOutcome> {
  const url = new URL("/api/v1/captures", target.server).toString();
  let attempt = capture.serverHasRuleset && capture.upload.manifest ? unchangedCaptureUpload(capture.upload) : capture.upload;
  let bytesSent = 0;
  for (let round = 1; ; round++) {
    const answer = await post(url, target.token, attempt, timeoutMs);
    bytesSent += answer.bytes;
    if (answer.kind === "unreachable") return { ...answer, bytesSent };
    const { status, body } = answer;
    if (status === 200 || status === 201) return { kind: "accepted", status, body: body as CaptureAccepted, bytesSent };
    if (status >= 500 || status === 408 || status === 429) return { kind: "unreachable", cause: `HTTP ${status}: ${describeAnswer(body)}`, bytesSent };
    if (status !== 409 || round >= MAX_ROUNDS) return { kind: "refused", status, body, bytesSent };
    const detail = (body as { detail?: { missingChains?: unknown; unknownRuleset?: unknown } }).detail;
    const missing = Array.isArray(detail?.missingChains) ? (detail.missingChains as string[]) : [];
    if (!attempt.manifest) {
      // The server forgot the ruleset (a new database, retention): send the manifest, bodies if it asks again.
      attempt = { ...capture.upload, chains: [] };
      continue;
    }
    if (missing.length === 0) return { kind: "refused", status, body, bytesSent };
    const chains: ChainBodyUpload[] = [];
    for (const digest of new Set(missing)) {
      const text = capture.bodyOf(digest);
      if (text === undefined) return { kind: "refused", status, body: { error: `the server asked for chain ${digest}, which this capture no longer has` }, bytesSent };
      chains.push({ digest, body: text });
    }
    attempt = { ...capture.upload, chains };
  }
}

/** Retry settings: exponential backoff with jitter. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry `n` (0-based): base·2ⁿ capped at max, of which a random half is taken away ("equal jitter"),
 * so agents of a whole cluster that lost the server together do not come back in lockstep.
 */
export function backoffDelay(n: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** n);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `sendCapture`, retried while the server is unreachable. */
export async function sendWithRetry(
  target: UploadTarget,
  capture: PendingCapture,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<UploadOutcome> {
  let bytesSent = 0;
  for (let n = 0; ; n++) {
    const outcome = await sendCapture(target, capture);
    bytesSent += outcome.bytesSent;
    if (outcome.kind !== "unreachable" || n + 1 >= policy.attempts) return { ...outcome, bytesSent };
    await sleep(backoffDelay(n, policy));
  }
}

type PostAnswer = { kind: "answer"; status: number; body: unknown; bytes: number } | { kind: "unreachable"; cause: string; bytes: number };

async function post(url: string, token: string, upload: CaptureUpload, timeoutMs: number): Promise<PostAnswer> {
  const payload = gzipSync(JSON.stringify(upload));
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${token}` },
      body: new Uint8Array(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: "unreachable", cause: `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, bytes: payload.length };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: "unreachable", cause: `connection lost reading the answer: ${(error as Error).message}`, bytes: payload.length };
  }
  try {
    return { kind: "answer", status: response.status, body: JSON.parse(text), bytes: payload.length };
  } catch {
    return { kind: "answer", status: response.status, body: { error: text.slice(0, 500) }, bytes: payload.length };
  }
}

/** The `error` of an API answer, or the answer as JSON. */
export function describeAnswer(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body ? String((body as { error: unknown }).error) : JSON.stringify(body);
}
