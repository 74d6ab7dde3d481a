/**
 * One snapshot's ruleset, rebuilt from the content-addressed store: as the text the node printed (iptables-save
 * without counters, see render-ruleset-text.ts) or as a list of chains with their rules.
 */
import type { Db } from "../db";
import { findNode } from "./find-cluster";
import { notFound, type NotFound } from "./not-found";
import { ruleLines } from "./read-chain-bodies";
import { readRulesetChains } from "./read-ruleset-chains";
import { orderRulesetChains, renderRulesetText } from "./render-ruleset-text";

/** One chain of the JSON form. */
export interface RulesetChainJson {
  table: string;
  chain: string;
  policy: string | null;
  digest: string;
  /** `-A CHAIN …` lines in order (nftables: rule statements). */
  rules: string[];
}

/** The snapshot the ruleset belongs to. */
export interface SnapshotHeader {
  id: number;
  cluster: string;
  node: string;
  family: string;
  backend: string;
  mode: string;
  rulesetDigest: string;
  firstSeen: Date;
  lastSeen: Date;
}

export type SnapshotRuleset =
  | { format: "text"; snapshot: SnapshotHeader; text: string }
  | { format: "json"; snapshot: SnapshotHeader; chains: RulesetChainJson[] };

/** The ruleset of snapshot `snapshotId` of `nodeName`, or NotFound (also when the snapshot is another node's). */
export async function getSnapshotRuleset(
  db: Db,
  clusterName: string,
  nodeName: string,
  snapshotId: number,
  format: "text" | "json" = "text",
): Promise<SnapshotRuleset | NotFound> {
  const node = await findNode(db, clusterName, nodeName);
  if ("notFound" in node) return node;
  const snapshot = await db.snapshot.findFirst({
    where: { id: snapshotId, nodeId: node.id },
    include: { ruleset: { select: { mode: true } } },
  });
  if (!snapshot) return notFound("snapshot", String(snapshotId), `node "${node.name}" has no snapshot ${snapshotId}`);
  const header: SnapshotHeader = {
    id: snapshot.id,
    cluster: node.cluster.name,
    node: node.name,
    family: snapshot.family,
    backend: snapshot.backend,
    mode: snapshot.ruleset.mode,
    rulesetDigest: snapshot.rulesetDigest,
    firstSeen: snapshot.firstSeen,
    lastSeen: snapshot.lastSeen,
  };
  const chains = await readRulesetChains(db, snapshot.rulesetDigest);
  if (format === "text") return { format, snapshot: header, text: renderRulesetText(chains) };
  return {
    format,
    snapshot: header,
    chains: orderRulesetChains(chains).flatMap(({ chains: ordered }) =>
      ordered.map((c) => ({ table: c.table, chain: c.chain, policy: c.policy, digest: c.digest, rules: ruleLines(c.text) })),
    ),
  };
}
