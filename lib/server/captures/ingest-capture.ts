/**
 * Use case: store one capture of one node (`POST /api/v1/captures`).
 *
 * The whole capture is one transaction, serialized per node: the node's row, its rules (bodies the server lacked,
 * the ruleset as a delta of the node's previous one, the ruleset's kube-proxy model), its place in the node's
 * snapshot history with the service changes it brings, its counters and its conntrack sample — or nothing, when
 * any part is refused. A capture whose chains the server lacks is refused with 409 and the missing digests; the
 * agent resends with those bodies. A retried capture id answers 200 `duplicate: true` and stores nothing. A manifest
 * sent as a delta of an earlier ruleset of the node is made whole first (resolve-manifest-delta.ts).
 */
import type { CaptureAccepted, CaptureRequest } from "../../contracts/capture";
import { apiError, type ApiError } from "../http/api-error";
import type { Db } from "../db";
import { checkCaptureTime } from "./capture-time";
import { checkCaptureRules, type CheckedRules } from "./check-capture-rules";
import { hasLaterCapture, placeCapture, snapshotCovering, type SnapshotRow } from "./place-capture";
import { readRulesetManifest, type StoredManifestEntry } from "./read-ruleset-manifest";
import { recordConntrack } from "./record-conntrack";
import { resolveManifestDelta, type ResolvedBase } from "./resolve-manifest-delta";
import { recordCounters } from "./record-counters";
import { proxyModeOf, storedRulesetDigest } from "./ruleset-identity";
import { loadChainBodies, loadRulesetModel, rememberModel, storeRulesetModel, tryBuildRulesetModel, type RulesetModelError } from "./ruleset-model";
import type { ProxyModel } from "../../kube-proxy/types";
import { findMissingBodies, storeChainBodies, storeRuleset, type RulesetBase } from "./store-ruleset";
import { IngestRefusal, LOCK_NODE, LOCK_RULESET, lockForTransaction, providerOfClient, type Tx } from "./transaction";

/** Settings of one ingest. */
export interface IngestCaptureOptions {
  /** History older than this is refused (env `NATWATCH_RETENTION_DAYS`). */
  retentionDays: number;
  /** The server's clock (tests pin it). */
  now?: Date;
}

/** 201 stored, 200 already stored, or a refusal (400, 409). */
export type IngestCaptureResult = { ok: true; status: 200 | 201; accepted: CaptureAccepted } | { ok: false; error: ApiError };

/** A 10k-service first capture parses and stores ~70k chains; a racing capture may wait for that. */
const TRANSACTION_OPTIONS = { maxWait: 120_000, timeout: 600_000 };

/** Stores `capture` for cluster `clusterId` (already authorized for it). */
export async function ingestCapture(db: Db, clusterId: number, request: CaptureRequest, options: IngestCaptureOptions): Promise<IngestCaptureResult> {
  const capturedAt = new Date(request.capturedAt);
  const timeError = checkCaptureTime(capturedAt, options.now ?? new Date(), options.retentionDays);
  if (timeError) return { ok: false, error: timeError };
  const mode = proxyModeOf(request.backend);
  // Outside the transaction: stored rulesets never change, and a base pruned meanwhile shows as missing bodies.
  const resolved = await resolveManifestDelta(db, clusterId, request, mode);
  if (!resolved.ok) return resolved;
  const capture = resolved.capture;
  const checked = checkCaptureRules(capture, mode);
  if (!checked.ok) return checked;
  const rulesetDigest = storedRulesetDigest(capture.family, mode, checked.rules.manifestDigest);
  const provider = providerOfClient(db);

  try {
    return await db.$transaction(async (tx) => {
      await lockForTransaction(tx, provider, LOCK_NODE, `${clusterId}/${capture.node}`);
      const node =
        (await tx.node.findUnique({ where: { clusterId_name: { clusterId, name: capture.node } } })) ??
        (await tx.node.create({ data: { clusterId, name: capture.node, role: capture.role ?? "worker", firstSeen: capturedAt, lastSeen: capturedAt } }));
      const key = { nodeId: node.id, captureId: capture.captureId, family: capture.family };
      const stored = await tx.capture.findUnique({ where: { nodeId_captureId_family: key }, select: { snapshotId: true } });
      if (stored) {
        const accepted = { captureId: capture.captureId, newSnapshot: false, snapshotId: String(stored.snapshotId), rulesetDigest: checked.rules.manifestDigest, changes: 0, duplicate: true, late: false };
        return { ok: true as const, status: 200 as const, accepted };
      }

      const previous = await snapshotCovering(tx, node.id, capture.family, capturedAt);
      let newModel: ProxyModel | null = null;
      // An unchanged capture: the snapshot covering its time shows its ruleset, which therefore exists.
      if (previous?.rulesetDigest !== rulesetDigest) {
        newModel = await ensureRuleset(tx, provider, {
          nodeId: node.id,
          family: capture.family,
          mode,
          capturedAt,
          rulesetDigest,
          rules: checked.rules,
          previous,
          deltaBase: resolved.base,
        });
      }
      const modelOf = (digest: string) => loadRulesetModel(tx, digest, () => readRulesetManifest(tx, digest), provider);
      const previousCapture =
        capture.counters.length === 0
          ? null
          : await tx.capture.findFirst({
              where: { nodeId: node.id, family: capture.family, capturedAt: { lt: capturedAt } },
              orderBy: { capturedAt: "desc" },
              select: { capturedAt: true },
            });
      const placed = await placeCapture(
        tx,
        { clusterId, nodeId: node.id, family: capture.family, backend: capture.backend, rulesetDigest, captureId: capture.captureId, capturedAt },
        previous,
        modelOf,
      );
      // Written after placement, which may drop the model of the ruleset the node left: on SQLite the new model then
      // reuses the old one's pages instead of growing the file by a model (17 MB at 10k services) per change.
      if (newModel) await storeRulesetModel(tx, rulesetDigest, newModel, provider);
      // Node.lastSeen is the node's latest capture of any family: at or after it, nothing can be later.
      const late = placed.late ?? (capturedAt < node.lastSeen && (await hasLaterCapture(tx, node.id, capture.family, capturedAt)));
      await recordCounters(
        tx,
        {
          nodeId: node.id,
          family: capture.family,
          capturedAt,
          rulesetDigest,
          snapshotFirstSeen: placed.snapshotFirstSeen,
          previousCaptureAt: previousCapture?.capturedAt ?? null,
          late,
        },
        capture.counters,
        () => modelOf(rulesetDigest),
      );
      if (capture.conntrack) await recordConntrack(tx, node.id, capturedAt, capture.conntrack, () => modelOf(rulesetDigest));

      const latest = capturedAt >= node.lastSeen;
      if (latest || capturedAt < node.firstSeen) {
        await tx.node.update({
          where: { id: node.id },
          data: {
            ...(latest ? { lastSeen: capturedAt, lastBackend: capture.backend, lastMode: mode, ...(capture.role ? { role: capture.role } : {}) } : {}),
            ...(capturedAt < node.firstSeen ? { firstSeen: capturedAt } : {}),
          },
        });
      }
      if (capture.dropped > 0) {
        console.warn(`natwatch ingest: node ${capture.node} of cluster ${clusterId} dropped ${capture.dropped} captures from its spool`);
      }
      const accepted: CaptureAccepted = {
        captureId: capture.captureId,
        newSnapshot: placed.newSnapshot,
        snapshotId: String(placed.snapshotId),
        rulesetDigest: checked.rules.manifestDigest,
        changes: placed.changes,
        duplicate: false,
        late,
      };
      return { ok: true as const, status: 201 as const, accepted };
    }, TRANSACTION_OPTIONS);
  } catch (error) {
    if (error instanceof IngestRefusal) return { ok: false, error: error.apiError };
    throw error;
  }
}

interface RulesetInput {
  nodeId: number;
  family: "ipv4" | "ipv6";
  mode: string;
  capturedAt: Date;
  /** Stored digest (`Ruleset.digest`). */
  rulesetDigest: string;
  rules: CheckedRules;
  /** The node's snapshot covering the capture's time (a delta base), if any. */
  previous: SnapshotRow | null;
  /** The base a delta upload was resolved against, whose manifest need not be read again. */
  deltaBase: ResolvedBase | null;
}

/**
 * Makes sure ruleset `input.rulesetDigest` is stored. A known ruleset costs one lookup: its bodies and model exist,
 * whichever node first sent it. An unknown one needs the manifest and every body the server lacks (else 409); it is
 * stored as a delta of the node's ruleset at the capture's time when that is cheaper, and its model is built and
 * returned (kept in the process cache) for the caller to store once the capture is placed.
 */
async function ensureRuleset(tx: Tx, provider: "sqlite" | "postgresql", input: RulesetInput): Promise<ProxyModel | null> {
  const exists = () => tx.ruleset.findUnique({ where: { digest: input.rulesetDigest }, select: { digest: true } });
  if (await exists()) return null;
  const { manifest, uploaded } = input.rules;
  if (!manifest) {
    throw new IngestRefusal(
      apiError(409, "unknown ruleset: resend the capture with its manifest", { missingChains: [], unknownRuleset: true }),
    );
  }
  // Nodes with identical rules race to store the same ruleset; the second waits here, then finds it stored.
  await lockForTransaction(tx, provider, LOCK_RULESET, input.rulesetDigest);
  if (await exists()) return null;

  const base = await baseRuleset(tx, input);
  const known = new Set(base?.manifest.map((e) => e.digest));
  const candidates = manifest.map((e) => e.digest).filter((d) => !uploaded.has(d) && !known.has(d));
  const missing = await findMissingBodies(tx, candidates);
  if (missing.length > 0) {
    throw new IngestRefusal(
      apiError(409, `${missing.length} chain bodies are missing: resend the capture with them`, { missingChains: missing, unknownRuleset: false }),
    );
  }
  await storeChainBodies(tx, [...uploaded].map(([digest, { body, table }]) => ({ digest, body, table })), provider);
  await storeRuleset(tx, { digest: input.rulesetDigest, family: input.family, mode: input.mode, manifest, base, provider });

  const bodies = await loadChainBodies(tx, manifest.map((e) => e.digest), new Map([...uploaded].map(([d, u]) => [d, u.body])));
  const built = tryBuildRulesetModel(manifest, bodies, input.family, input.mode as "iptables" | "nftables" | "ipvs");
  if (!built.ok) throw new IngestRefusal(rulesetTextError(built.error, manifest, input.rules));
  rememberModel(input.rulesetDigest, built.model);
  return built.model;
}

/** The 400 of a body whose rule text does not parse: the digest, the chain, the body line, as the shape checks say it. */
function rulesetTextError(error: RulesetModelError, manifest: readonly StoredManifestEntry[], rules: CheckedRules): ApiError {
  if (!error.at) return apiError(400, `the ruleset cannot be read as a whole: ${error.reason}`, { field: "manifest", text: error.text });
  const { digest, line } = error.at;
  const chain = manifest.find((e) => e.digest === digest)?.chain ?? "?";
  const index = rules.uploadOrder.indexOf(digest);
  return apiError(400, `chain body ${digest} (${chain}) line ${line}: ${error.reason}`, {
    field: index >= 0 ? `chains.${index}.body` : "manifest",
    digest,
    chain,
    line,
    text: error.text,
  });
}

/** The node's ruleset at the capture's time (or its first one after), when it was read in the same mode. */
async function baseRuleset(tx: Tx, input: RulesetInput): Promise<RulesetBase | null> {
  const where = { nodeId: input.nodeId, family: input.family };
  const neighbour = input.previous ?? (await tx.snapshot.findFirst({ where, orderBy: { firstSeen: "asc" }, select: { rulesetDigest: true } }));
  if (!neighbour) return null;
  const ruleset = await tx.ruleset.findUniqueOrThrow({ where: { digest: neighbour.rulesetDigest } });
  if (ruleset.mode !== input.mode || ruleset.family !== input.family) return null;
  return {
    digest: ruleset.digest,
    manifest: input.deltaBase?.digest === ruleset.digest ? input.deltaBase.manifest : await readRulesetManifest(tx, ruleset.digest),
    depth: ruleset.depth,
    deltaRows: ruleset.deltaRows,
  };
}
