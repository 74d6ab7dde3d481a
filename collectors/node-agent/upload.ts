/**
 * The capture upload client, shared by the node agent and `natwatch import`: gzip'd JSON to
 * `POST /api/v1/captures`, then the 409 round the content-addressed protocol asks for.
 *
 * A capture goes in its shortest form: the ruleset digest alone when the server has the ruleset, else a manifest
 * delta against the ruleset the server last accepted from this node (manifest-delta.ts), else the whole manifest.
 * Deltas are made here, at send time, from the agent's knowledge of the server then: the spool holds whole
 * manifests, so a replayed capture never names a base the server may not have accepted.
 *
 * The server answers 201 stored, 200 already stored (a retry), 409 when it lacks chain bodies
 * (`detail.missingChains`), the whole ruleset a digest-only upload named (`detail.unknownRuleset`) or the base of
 * a delta (`detail.unknownBase`), 422 for a delta that does not rebuild the manifest (`detail.deltaMismatch`) —
 * both answered with the whole manifest — and 400/401/403/413/415 for uploads that will never be accepted as they
 * are. Network errors, 5xx, 408 and 429 are worth retrying; the agent retries with backoff and then spools.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { gzipJsonChunks } from "./gzip-json";
import { collectGarbage } from "./heap";
import { manifestDeltaUpload, type AcceptedRuleset } from "./manifest-delta";
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
  | { kind: "refused"; status: number; body: unknown; bytesSent: number; /** The server asked for bodies this capture no longer has. */ bodiesGone?: boolean }
  | { kind: "unreachable"; cause: string; bytesSent: number };

/** A capture ready to send: the full upload (with manifest) and where its chain bodies can be found. */
export interface PendingCapture {
  upload: CaptureUpload;
  bodyOf(digest: string): string | undefined;
  /** Whether `bodyOf` has this body, without reading it (default: ask `bodyOf`). */
  hasBody?(digest: string): boolean;
  /** The server is known to have this ruleset: try the digest alone first (an unchanged capture, < 1 KB). */
  serverHasRuleset: boolean;
  /**
   * Chains the server is known to lack (new since its last accepted ruleset): their bodies go with the first
   * manifest, which saves the 409 round — a whole manifest sent twice on a large node — for an ordinary change.
   */
  expectedMissing?: readonly string[];
  /** The ruleset the server last accepted from this node and family: a changed capture goes as a delta of it. */
  base?: AcceptedRuleset;
}

/** Compressed size from which a request counts as large (a manifest of thousands of chains, or their bodies). */
const LARGE_REQUEST_BYTES = 256 * 1024;

/** At most: a digest-only try or a delta, then the manifest (or the delta with bodies), then with bodies. */
const MAX_ROUNDS = 3;

/** Sends one capture, answering the server's 409s, without retrying unreachable servers. */
export async function sendCapture(target: UploadTarget, capture: PendingCapture, timeoutMs = 120_000): Promise<UploadOutcome> {
  const url = new URL("/api/v1/captures", target.server).toString();
  const whole = capture.upload;
  const delta = !capture.serverHasRuleset && capture.base ? manifestDeltaUpload(whole, capture.base) : null;
  let attempt = capture.serverHasRuleset && whole.manifest ? unchangedCaptureUpload(whole) : (delta ?? whole);
  let bytesSent = 0;
  /** Digests whose bodies go with the attempt. */
  let chains: readonly string[] = attempt.manifest || attempt.manifestDelta ? (capture.expectedMissing ?? []) : [];
  for (let round = 1; ; round++) {
    const answer = await post(url, target.token, attempt, timeoutMs, bodiesOf(capture, chains));
    bytesSent += answer.bytes;
    // A large round leaves tens of megabytes of request text behind; collected now, it does not grow the heap.
    if (answer.bytes > LARGE_REQUEST_BYTES) collectGarbage();
    if (answer.kind === "unreachable") return { ...answer, bytesSent };
    const { status, body } = answer;
    if (status === 200 || status === 201) return { kind: "accepted", status, body: body as CaptureAccepted, bytesSent };
    if (status >= 500 || status === 408 || status === 429) return { kind: "unreachable", cause: `HTTP ${status}: ${describeAnswer(body)}`, bytesSent };
    const detail = (body as { detail?: { missingChains?: unknown; unknownBase?: unknown; deltaMismatch?: unknown } }).detail;
    const deltaRefused = attempt.manifestDelta && ((status === 409 && detail?.unknownBase === true) || (status === 422 && detail?.deltaMismatch === true));
    if ((status !== 409 && !deltaRefused) || round >= MAX_ROUNDS) return { kind: "refused", status, body, bytesSent };
    if ((!attempt.manifest && !attempt.manifestDelta) || deltaRefused) {
      // The server forgot the ruleset or the delta's base (a new database, retention), or could not rebuild the
      // manifest from the delta: send the whole manifest, bodies if it asks again.
      attempt = { ...whole, chains: [] };
      chains = capture.expectedMissing ?? [];
      continue;
    }
    const missing = Array.isArray(detail?.missingChains) ? (detail.missingChains as string[]) : [];
    if (missing.length === 0) return { kind: "refused", status, body, bytesSent };
    const wanted = [...new Set(missing)];
    const has = capture.hasBody ?? ((digest: string) => capture.bodyOf(digest) !== undefined);
    const gone = wanted.find((digest) => !has(digest));
    if (gone !== undefined) return { kind: "refused", status, body: { error: `the server asked for chain ${gone}, which this capture no longer has` }, bytesSent, bodiesGone: true };
    // The bodies are read one at a time while the request is compressed (they may be tens of megabytes).
    attempt = { ...attempt, chains: [] };
    chains = wanted;
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

/**
 * One POST through node:http rather than fetch: fetch copies a byte body into a stream of its own and keeps that copy
 * with the request, which for the first capture of a large node (every chain body) was tens of megabytes held
 * twice; here the gzip'd chunks are written to the socket as the compressor made them.
 */
/** The `chains` member of a request: the bodies of `digests`, read as they are written. */
function* bodiesOf(capture: PendingCapture, digests: readonly string[]): Iterable<ChainBodyUpload> {
  for (const digest of digests) yield { digest, body: capture.bodyOf(digest)! };
}

async function post(url: string, token: string, upload: CaptureUpload, timeoutMs: number, chains: Iterable<ChainBodyUpload>): Promise<PostAnswer> {
  const payload = await gzipJsonChunks(upload, { chains });
  const bytes = payload.reduce((sum, chunk) => sum + chunk.length, 0);
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<PostAnswer>((resolve) => {
    const request = send(
      target,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-encoding": "gzip",
          "content-length": bytes,
          authorization: `Bearer ${token}`,
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", (error) => resolve({ kind: "unreachable", cause: `connection lost reading the answer: ${error.message}`, bytes }));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          try {
            resolve({ kind: "answer", status, body: JSON.parse(text), bytes });
          } catch {
            resolve({ kind: "answer", status, body: { error: text.slice(0, 500) }, bytes });
          }
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ kind: "unreachable", cause: `cannot reach ${url}: ${error.code ?? error.message}`, bytes }),
    );
    for (const chunk of payload) request.write(chunk);
    request.end();
  });
}

/** The `error` of an API answer, or the answer as JSON. */
export function describeAnswer(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body ? String((body as { error: unknown }).error) : JSON.stringify(body);
}
