/**
 * Inputs of the ingest tests: the seed's kind node dumps, dumps rendered by the lab's kube-proxy renderer (real
 * chain names), and helpers that turn them into uploads and drive the 409 → resend protocol against the use case.
 */
import { seedWebService } from "../../../lab/demo/seed-story";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIptablesCapture, withChainBodies, type BuiltCapture, type CaptureMeta } from "../../../lib/capture/build-capture-upload";
import { captureRequestSchema, type CaptureUpload } from "../../../lib/contracts/capture";
import { renderNatRules } from "../../../lab/kube-proxy/render-iptables";
import type { NodeConfig, ServiceSpec } from "../../../lab/kube-proxy/types";
import type { Db } from "../../../lib/server/db";
import { ingestCapture, type IngestCaptureResult } from "../../../lib/server/captures/ingest-capture";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
export const corpusDir = path.resolve(repoRoot, "../shared/corpus");

/** A seed fixture (`clusterip` or `nodeport`): the study note's kind node, `iptables-save -c -t nat`. */
export function seedDump(name: "clusterip" | "nodeport"): string {
  return readFileSync(path.join(repoRoot, "tests/fixtures/seed", `${name}.iptables-save.txt`), "utf8");
}

export const kindNode: NodeConfig = { nodeName: "myk8s-worker", nodeIPs: ["172.18.0.3"], podCIDR: "10.10.0.0/16" };

/** The seed's service `default/svc-clusterip:svc-webport` with the given pod IPs (and a node port). */
export const seedService = seedWebService;

/** kube-proxy's nat rules for `services` on the kind node, with the built-in chains and their jumps. */
export function renderedDump(services: ServiceSpec[]): string {
  return renderNatRules(services, kindNode, { tables: ["nat"], includeJumpRules: true });
}

let captureSequence = 0;

/** A capture id unique within the test run. */
export function newCaptureId(): string {
  captureSequence++;
  return `cap-${process.pid}-${Date.now().toString(36)}-${captureSequence}`;
}

/** Builds the upload of `dump` (iptables-save text), failing the test on a parse error. */
export function buildCapture(dump: string, meta: Partial<CaptureMeta> & Pick<CaptureMeta, "node" | "capturedAt">): BuiltCapture {
  const built = buildIptablesCapture(dump, { captureId: newCaptureId(), cluster: "kind", backend: "iptables-nft", ...meta });
  if (!built.ok) throw new Error(`fixture does not parse: ${JSON.stringify(built.error)}`);
  return built.capture;
}

/** The upload as the route hands it to the use case: validated, defaults filled. */
export function asRequest(upload: CaptureUpload) {
  return captureRequestSchema.parse(JSON.parse(JSON.stringify(upload)));
}

/** What an agent does: post without bodies, and on 409 resend with the missing ones. Returns both answers. */
export async function ingestWithResend(
  db: Db,
  clusterId: number,
  capture: BuiltCapture,
  options: { now?: Date; retentionDays?: number; upload?: CaptureUpload } = {},
): Promise<{ first: IngestCaptureResult; final: IngestCaptureResult }> {
  const settings = { retentionDays: options.retentionDays ?? 3650, ...(options.now ? { now: options.now } : {}) };
  const upload = options.upload ?? capture.upload;
  const first = await ingestCapture(db, clusterId, asRequest(upload), settings);
  if (first.ok || first.error.status !== 409) return { first, final: first };
  const missing = (first.error.detail as { missingChains: string[] }).missingChains;
  const final = await ingestCapture(db, clusterId, asRequest(withChainBodies(upload, capture.bodiesByDigest, missing)), settings);
  return { first, final };
}

/** A whole minute a day before the test run started: recent enough for any retention window the tests use. */
const BASE_MS = Math.floor((Date.now() - 24 * 3_600_000) / 60_000) * 60_000;

/** ISO time `minutes` after the run's base time. */
export function at(minutes: number): string {
  return new Date(BASE_MS + minutes * 60_000).toISOString();
}
