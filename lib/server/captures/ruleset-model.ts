/**
 * The kube-proxy model of a stored ruleset (RulesetModel): built once per ruleset at ingest from the chain bodies,
 * read back for service diffs, counter attribution and flow resolution. Models are immutable per ruleset digest, so
 * the process keeps the last few parsed ones (a 10k-service model is megabytes of JSON; re-reading it for every
 * capture of a steady node would dominate ingest).
 */
import { rebuildIptablesSave } from "../../capture/ruleset-text";
import { rebuildNftListing } from "../../capture/nft-ruleset-text";
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
    const rows = await tx.chainBody.findMany({ where: { digest: { in: slice } }, select: { digest: true, text: true } });
    for (const row of rows) bodies.set(row.digest, row.text);
  }
  return bodies;
}

/** Builds the model of a manifest whose bodies are all in `bodies`. Throws if the rebuilt text does not parse. */
export function buildRulesetModel(
  manifest: readonly StoredManifestEntry[],
  bodies: ReadonlyMap<string, string>,
  family: "ipv4" | "ipv6",
  mode: ProxyMode,
): ProxyModel {
  const bodyOf = (digest: string) => {
    const body = bodies.get(digest);
    if (body === undefined) throw new Error(`chain body ${digest} is not loaded`);
    return body;
  };
  const text = mode === "nftables" ? rebuildNftListing(manifest, bodyOf) : rebuildIptablesSave(manifest, bodyOf);
  const read = readProxyModel(text, { family });
  if (!read.ok) throw new Error(`rebuilt ruleset does not parse: ${read.error.reason} at line ${read.error.line}: ${read.error.text}`);
  // ipvs nodes still program the nat table through iptables; the model's mode says how the node proxies.
  return mode === "ipvs" ? { ...read.model, mode } : read.model;
}

const cache = new Map<string, ProxyModel>();
const CACHE_SIZE = 16;

function remember(digest: string, model: ProxyModel): void {
  cache.delete(digest);
  cache.set(digest, model);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
}

/** Stores the model of ruleset `digest` and keeps it in the process cache. */
export async function storeRulesetModel(tx: Tx, digest: string, model: ProxyModel): Promise<void> {
  await tx.rulesetModel.create({
    data: { rulesetDigest: digest, builderVersion: MODEL_BUILDER_VERSION, model: model as object },
  });
  remember(digest, model);
}

/**
 * The model of ruleset `digest`: from the process cache, else from RulesetModel, else (no row, or one of an older
 * builder) rebuilt from the bodies and stored.
 */
export async function loadRulesetModel(tx: Tx, digest: string, readManifest: () => Promise<StoredManifestEntry[]>): Promise<ProxyModel> {
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
  const model = buildRulesetModel(manifest, bodies, ruleset.family as "ipv4" | "ipv6", ruleset.mode as ProxyMode);
  if (row) await tx.rulesetModel.delete({ where: { rulesetDigest: digest } });
  await storeRulesetModel(tx, digest, model);
  return model;
}
