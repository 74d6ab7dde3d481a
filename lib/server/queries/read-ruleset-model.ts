/**
 * The kube-proxy model of a ruleset. Ingest stores it once per ruleset digest (RulesetModel), so readers take the
 * JSON instead of re-parsing rules: for a 10k-service node that is the difference between ~1 s and a few ms. Models
 * are also kept in memory by digest (they never change for a digest). A missing model (retention may drop the
 * models of rulesets no snapshot shows) or one of an older builder is rebuilt from the stored chains, with the
 * builder ingest uses; the read path does not write it back.
 */
import type { ProxyMode, ProxyModel } from "../../kube-proxy/types";
import { buildRulesetModel, MODEL_BUILDER_VERSION } from "../captures/ruleset-model";
import type { Db } from "../db";
import { createDigestCache } from "./digest-cache";
import { readChainBodies } from "./read-chain-bodies";
import { readManifest } from "./read-manifest";

// Weight: service ports plus endpoints. ~600k covers ten 10k-service models of five endpoints each.
const models = createDigestCache<ProxyModel>(600_000);

function modelWeight(model: ProxyModel): number {
  let weight = model.servicePorts.length;
  for (const port of model.servicePorts) weight += port.endpoints.length;
  return Math.max(weight, 1);
}

/** The model of `rulesetDigest`, or null when the ruleset is unknown. Shared with later callers: do not modify it. */
export async function readRulesetModel(db: Db, rulesetDigest: string): Promise<ProxyModel | null> {
  const cached = models.get(`${MODEL_BUILDER_VERSION}/${rulesetDigest}`);
  if (cached) return cached;
  const stored = await db.rulesetModel.findUnique({ where: { rulesetDigest }, select: { model: true, builderVersion: true } });
  const model =
    stored && stored.builderVersion === MODEL_BUILDER_VERSION ? (stored.model as unknown as ProxyModel) : await rebuildModel(db, rulesetDigest);
  if (!model) return null;
  models.set(`${MODEL_BUILDER_VERSION}/${rulesetDigest}`, model, modelWeight(model));
  return model;
}

async function rebuildModel(db: Db, rulesetDigest: string): Promise<ProxyModel | null> {
  const ruleset = await db.ruleset.findUnique({ where: { digest: rulesetDigest }, select: { family: true, mode: true } });
  if (!ruleset) return null;
  const manifest = (await readManifest(db, rulesetDigest)).map((row) => ({ table: row.table, chain: row.chain, policy: row.policy, digest: row.chainDigest }));
  const bodies = new Map([...(await readChainBodies(db, manifest.map((e) => e.digest)))].map(([digest, body]) => [digest, body.text]));
  return buildRulesetModel(manifest, bodies, ruleset.family === "ipv6" ? "ipv6" : "ipv4", ruleset.mode as ProxyMode);
}
