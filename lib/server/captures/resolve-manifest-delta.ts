/**
 * A capture whose manifest came as a delta (`manifestDelta`) made whole again, before any other check: the base's
 * stored manifest (delta encoding resolved by the same reader ingest uses) with the delta's chains set and removed,
 * checked against the capture's `rulesetDigest`. From there on the capture is treated exactly as one that sent its
 * manifest whole.
 *
 * The base must be a ruleset of one of this node's snapshots in the capture's family: what the agent last had
 * accepted, or an older one when captures raced. Anything else — a pruned ruleset, another database, a server reset,
 * another node's rules — is an unknown base, answered with a 409 of its own so the agent resends the whole manifest.
 */
import { rulesetDigest } from "../../iptables/chain-digest";
import type { CaptureRequest, ManifestDeltaMismatch } from "../../contracts/capture";
import type { ProxyMode } from "../../kube-proxy/types";
import type { Db } from "../db";
import { apiError, type ApiError } from "../http/api-error";
import { readRulesetManifest, type StoredManifestEntry } from "./read-ruleset-manifest";
import { storedRulesetDigest } from "./ruleset-identity";

/** The base a delta was resolved against: its stored digest and manifest, reusable as the new ruleset's delta base. */
export interface ResolvedBase {
  /** `Ruleset.digest`. */
  digest: string;
  manifest: StoredManifestEntry[];
}

export type ResolvedCapture = { ok: true; capture: CaptureRequest; base: ResolvedBase | null } | { ok: false; error: ApiError };

/** `capture` with its `manifestDelta` replaced by the whole manifest (unchanged when it has none). */
export async function resolveManifestDelta(db: Db, clusterId: number, capture: CaptureRequest, mode: ProxyMode): Promise<ResolvedCapture> {
  const delta = capture.manifestDelta;
  if (!delta) return { ok: true, capture, base: null };
  const baseDigest = storedRulesetDigest(capture.family, mode, delta.base);
  const node = await db.node.findUnique({ where: { clusterId_name: { clusterId, name: capture.node } }, select: { id: true } });
  const seen = node && (await db.snapshot.findFirst({ where: { nodeId: node.id, family: capture.family, rulesetDigest: baseDigest }, select: { id: true } }));
  if (!seen) {
    return fail(
      apiError(409, `unknown delta base ${delta.base}: resend the capture with its whole manifest`, {
        missingChains: [],
        unknownRuleset: false,
        unknownBase: true,
        base: delta.base,
      }),
    );
  }
  const baseManifest = await readRulesetManifest(db, baseDigest);

  const key = (e: { table: string; chain: string }) => `${e.table}\u0000${e.chain}`;
  const chains = new Map(baseManifest.map((e) => [key(e), e]));
  const touched = new Set<string>();
  for (const [index, ref] of delta.removed.entries()) {
    const k = key(ref);
    if (!chains.delete(k)) return fail(deltaError(`manifestDelta.removed.${index}`, `chain ${ref.table}/${ref.chain} is not in base ${delta.base}`));
    touched.add(k);
  }
  for (const [index, entry] of delta.set.entries()) {
    const k = key(entry);
    if (touched.has(k)) return fail(deltaError(`manifestDelta.set.${index}`, `chain ${entry.table}/${entry.chain} is named twice in the delta`));
    touched.add(k);
    chains.set(k, { table: entry.table, chain: entry.chain, policy: entry.policy, digest: entry.digest });
  }
  const manifest = [...chains.values()];
  const computed = rulesetDigest(manifest);
  if (computed !== capture.rulesetDigest) {
    const detail: ManifestDeltaMismatch = { field: "manifestDelta", deltaMismatch: true, base: delta.base, sent: capture.rulesetDigest as string, computed };
    return fail(
      apiError(422, `the manifest rebuilt from base ${delta.base} and the delta has digest ${computed}, not rulesetDigest ${detail.sent}: resend the capture with its whole manifest`, detail),
    );
  }
  const { manifestDelta: _resolved, ...rest } = capture;
  return { ok: true, capture: { ...rest, manifest }, base: { digest: baseDigest, manifest: baseManifest } };
}

function deltaError(field: string, reason: string): ApiError {
  return apiError(400, `${field}: ${reason}`, { field });
}

function fail(error: ApiError): { ok: false; error: ApiError } {
  return { ok: false, error };
}
