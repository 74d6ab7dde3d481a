/**
 * The kube-proxy model of a stored ruleset (RulesetModel): built once per ruleset at ingest from the chain bodies,
 * read back for service diffs, counter attribution and flow resolution. Models are immutable per ruleset digest, so
 * the process keeps the last few parsed ones (a 10k-service model is megabytes of JSON; re-reading it for every
 * capture of a steady node would dominate ingest).
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import { rebuildIptablesSaveWithOrigins } from "../../capture/ruleset-text";
import { rebuildNftListingWithOrigins } from "../../capture/nft-ruleset-text";
import { readProxyModel } from "../../kube-proxy/read-proxy-model";
import type { ProxyMode, ProxyModel } from "../../kube-proxy/types";
import type { StoredManifestEntry } from "./read-ruleset-manifest";
import { chunked, LOOKUP_CHUNK, type Tx } from "./transaction";

/** Version of the model builder; bump it when `buildRulesetModel` reads rules differently (readers rebuild older models). */
export const MODEL_BUILDER_VERSION = 1;

/** Bodies of `digests`, from `known` first, then from the database. */
export async function loadChainBodies(tx: Tx, digests: readonly string[], known: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  const wanted: string[] = [];
  for (const digest of new Set(digests)) {
    const body = known.get(digest);
    if (body === undefined) wanted.push(digest);
    else bodies.set(digest, body);
  }
  for (const slice of chunked(wanted, LOOKUP_CHUNK)) {
    const rows = await tx.$queryRaw<{ digest: string; text: string }[]>`SELECT "digest", "text" FROM "ChainBody" WHERE "digest" IN (${Prisma.join(slice)})`;
    for (const row of rows) bodies.set(row.digest, row.text);
  }
  return bodies;
}

/** Why a ruleset could not be modelled: the parser's reason, at a line of one chain body (null: a header line). */
export interface RulesetModelError {
  reason: string;
  text: string;
  at: { digest: string; line: number } | null;
}

/** Builds the model of a manifest whose bodies are all in `bodies`; throws when the rules do not parse. */
export function buildRulesetModel(
  manifest: readonly StoredManifestEntry[],
  bodies: ReadonlyMap<string, string>,
  family: "ipv4" | "ipv6",
  mode: ProxyMode,
): ProxyModel {
  const built = tryBuildRulesetModel(manifest, bodies, family, mode);
  if (!built.ok) throw new Error(`ruleset does not parse: ${built.error.reason} (${built.error.text})`);
  return built.model;
}

/**
 * Builds the model of a manifest whose bodies are all in `bodies`. The rule text of every body is parsed here, once,
 * in the rebuilt ruleset; an error names the body and its line.
 */
export function tryBuildRulesetModel(
  manifest: readonly StoredManifestEntry[],
  bodies: ReadonlyMap<string, string>,
  family: "ipv4" | "ipv6",
  mode: ProxyMode,
): { ok: true; model: ProxyModel } | { ok: false; error: RulesetModelError } {
  const bodyOf = (digest: string) => {
    const body = bodies.get(digest);
    if (body === undefined) throw new Error(`chain body ${digest} is not loaded`);
    return body;
  };
  const rebuilt = mode === "nftables" ? rebuildNftListingWithOrigins(manifest, bodyOf) : rebuildIptablesSaveWithOrigins(manifest, bodyOf);
  const read = readProxyModel(rebuilt.text, { family });
  if (!read.ok) return { ok: false, error: { reason: read.error.reason, text: read.error.text, at: rebuilt.origin(read.error.line) } };
  // ipvs nodes still program the nat table through iptables; the model's mode says how the node proxies.
  return { ok: true, model: mode === "ipvs" ? { ...read.model, mode } : read.model };
}

const cache = new Map<string, ProxyModel>();
const CACHE_SIZE = 16;

/** Keeps `model` as the model of ruleset `digest` in the process cache (models never change for a digest). */
export function rememberModel(digest: string, model: ProxyModel): void {
  remember(digest, model);
}

function remember(digest: string, model: ProxyModel): void {
  cache.delete(digest);
  cache.set(digest, model);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
}

/**
 * Stores the model of ruleset `digest` and keeps it in the process cache. Raw SQL with the JSON text: a 10k-service
 * model is ~17 MB of JSON, and handing it to the query builder as an object cost ~10 s (measured), against a
 * fraction of a second for JSON.stringify. SQLite keeps Json columns as text and DateTime as ISO-8601 text (the
 * adapter's format); PostgreSQL gets jsonb and a timestamp.
 */
export async function storeRulesetModel(tx: Tx, digest: string, model: ProxyModel, provider: "sqlite" | "postgresql"): Promise<void> {
  const json = JSON.stringify(model);
  if (provider === "postgresql") {
    await tx.$executeRaw`INSERT INTO "RulesetModel" ("rulesetDigest", "builderVersion", "model", "builtAt") VALUES (${digest}, ${MODEL_BUILDER_VERSION}, ${json}::jsonb, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING`;
  } else {
    await tx.$executeRaw`INSERT INTO "RulesetModel" ("rulesetDigest", "builderVersion", "model", "builtAt") VALUES (${digest}, ${MODEL_BUILDER_VERSION}, ${json}, ${new Date().toISOString()}) ON CONFLICT DO NOTHING`;
  }
  remember(digest, model);
}

/**
 * The model of ruleset `digest`: from the process cache, else from RulesetModel, else (no row, or one of an older
 * builder) rebuilt from the bodies and stored.
 */
export async function loadRulesetModel(
  tx: Tx,
  digest: string,
  readManifest: () => Promise<StoredManifestEntry[]>,
  provider: "sqlite" | "postgresql",
): Promise<ProxyModel> {
  const cached = cache.get(digest);
  if (cached) {
    remember(digest, cached);
    return cached;
  }
  const row = await tx.rulesetModel.findUnique({ where: { rulesetDigest: digest } });
  if (row && row.builderVersion === MODEL_BUILDER_VERSION) {
    const model = row.model as unknown as ProxyModel;
    remember(digest, model);
    return model;
  }
  const ruleset = await tx.ruleset.findUniqueOrThrow({ where: { digest } });
  const manifest = await readManifest();
  const bodies = await loadChainBodies(tx, manifest.map((e) => e.digest), new Map());
  const built = tryBuildRulesetModel(manifest, bodies, ruleset.family as "ipv4" | "ipv6", ruleset.mode as ProxyMode);
  // Stored bodies were checked at ingest; failing here means a parser change now refuses what it once read.
  if (!built.ok) throw new Error(`stored ruleset ${digest} no longer parses: ${built.error.reason} (${built.error.text})`);
  if (row) await tx.rulesetModel.delete({ where: { rulesetDigest: digest } });
  await storeRulesetModel(tx, digest, built.model, provider);
  return built.model;
}
