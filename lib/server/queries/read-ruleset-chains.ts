/** Every chain of a ruleset with its body: the manifest joined with the chain bodies. */
import type { Db } from "../db";
import { readChainBodies } from "./read-chain-bodies";
import { readManifest } from "./read-manifest";
import type { RulesetChainText } from "./render-ruleset-text";

/** A chain of a stored ruleset: its text and its body digest. */
export interface StoredChain extends RulesetChainText {
  digest: string;
}

/**
 * The chains of `rulesetDigest` in manifest order. A manifest row whose body is missing would mean a broken
 * database (bodies are never deleted while a manifest names them: the foreign key restricts it), so it throws.
 */
export async function readRulesetChains(db: Db, rulesetDigest: string): Promise<StoredChain[]> {
  const manifest = await readManifest(db, rulesetDigest);
  const bodies = await readChainBodies(db, manifest.map((row) => row.chainDigest));
  return manifest.map((row) => {
    const body = bodies.get(row.chainDigest);
    if (!body) throw new Error(`ruleset ${rulesetDigest}: body ${row.chainDigest} of ${row.table} ${row.chain} is missing`);
    return { table: row.table, chain: row.chain, policy: row.policy, digest: row.chainDigest, text: body.text };
  });
}
