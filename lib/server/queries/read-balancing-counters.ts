/**
 * Counters of balancing rules (`KUBE-SVC-X … -j KUBE-SEP-Y`) at a node's latest capture. In the nat table only the
 * first packet of a connection traverses the chains, so such a counter is the number of new connections this node
 * sent to that endpoint since kube-proxy last wrote the chain — the figure `iptables-save -c` shows and the seed
 * note counts by hand (35 / 33 / 32).
 *
 * Counter samples are stored only when they change, keyed by chain name and rule position, so the value at time t is
 * the newest sample at or before t — one backward seek on the (nodeId, chain, capturedAt) index per rule.
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { Db } from "../db";
import { readChainBodies, ruleLines } from "./read-chain-bodies";
import { findManifestRow, readManifest } from "./read-manifest";
import { snapshotAt, type AddressFamily } from "./snapshot-at";

/** A balancing rule to read: the balancing chain and the endpoint chain its rule jumps to. */
export interface BalancingRuleRef {
  chain: string;
  sepChain: string;
}

/** Counters of one rule. */
export interface RuleCounters {
  packets: number;
  bytes: number;
}

/** Key of a balancing rule in the result map. */
export const balancingRuleKey = (chain: string, sepChain: string) => `${chain}>${sepChain}`;

/** Bound parameters per query stay far below SQLite's limit (32766) and PostgreSQL's (65535). */
const BATCH = 400;

/** The node ruleset whose counters are read, and as of when. */
export interface CounterTarget {
  nodeId: number;
  family: string;
  rulesetDigest: string;
  /** Start of the snapshot showing `rulesetDigest`: samples since then are of its chain bodies. */
  snapshotFirstSeen: Date;
  at: Date;
}

/**
 * Counters of `rules` in the node's ruleset as of `target.at`, keyed by `balancingRuleKey`. Rules without a valid
 * sample (never counted a packet since kube-proxy wrote them) are absent.
 *
 * A sample names a rule by chain and position only, so it belongs to the body the chain had when it was taken. One
 * taken before the snapshot began counts only if the chain had the same body then; otherwise kube-proxy rewrote
 * the chain since, its counters restarted from zero, and agents do not send zero counters.
 */
export async function readBalancingCounters(db: Db, target: CounterTarget, rules: readonly BalancingRuleRef[]): Promise<Map<string, RuleCounters>> {
  const counters = new Map<string, RuleCounters>();
  if (rules.length === 0) return counters;
  const positions = await rulePositions(db, target.rulesetDigest, rules);
  const byKey = new Map(positions.map((p) => [`${p.chain}\u0000${p.position}`, p]));
  const older: { rule: PositionedRule; sample: Sample }[] = [];
  for (let start = 0; start < positions.length; start += BATCH) {
    for (const sample of await latestSamples(db, target, positions.slice(start, start + BATCH))) {
      const rule = byKey.get(`${sample.chain}\u0000${sample.position}`);
      if (!rule) continue;
      if (sample.capturedAt >= target.snapshotFirstSeen) counters.set(balancingRuleKey(rule.chain, rule.sepChain), sample);
      else older.push({ rule, sample });
    }
  }
  // Few distinct times in practice (the captures just before the snapshot began); each is one cached manifest.
  const digestsAt = new Map<number, Map<string, string>>();
  for (const { rule, sample } of older) {
    const ms = sample.capturedAt.getTime();
    let digests = digestsAt.get(ms);
    if (!digests) {
      digests = await chainDigestsAt(db, target, sample.capturedAt);
      digestsAt.set(ms, digests);
    }
    if (digests.get(rule.chain) === rule.chainDigest) counters.set(balancingRuleKey(rule.chain, rule.sepChain), sample);
  }
  return counters;
}

/** The nat chain digests of the node's ruleset at time `at`. */
async function chainDigestsAt(db: Db, target: CounterTarget, at: Date): Promise<Map<string, string>> {
  const snapshot = await snapshotAt(db, target.nodeId, target.family as AddressFamily, at);
  const digests = new Map<string, string>();
  if (!snapshot) return digests;
  for (const row of await readManifest(db, snapshot.rulesetDigest)) if (row.table === "nat") digests.set(row.chain, row.chainDigest);
  return digests;
}

interface Sample extends RuleCounters {
  chain: string;
  position: number;
  capturedAt: Date;
}

interface PositionedRule extends BalancingRuleRef {
  position: number;
  chainDigest: string;
}

/** Where each balancing rule stands in its chain (0-based rule index), from the chain's stored body. */
async function rulePositions(db: Db, rulesetDigest: string, rules: readonly BalancingRuleRef[]): Promise<PositionedRule[]> {
  const manifest = await readManifest(db, rulesetDigest);
  const digestByChain = new Map<string, string>();
  for (const rule of rules) {
    const row = findManifestRow(manifest, "nat", rule.chain);
    if (row) digestByChain.set(rule.chain, row.chainDigest);
  }
  const bodies = await readChainBodies(db, digestByChain.values());
  const positions: PositionedRule[] = [];
  const linesByChain = new Map<string, string[]>();
  for (const rule of rules) {
    const digest = digestByChain.get(rule.chain);
    const body = digest ? bodies.get(digest) : undefined;
    if (!body) continue;
    let lines = linesByChain.get(rule.chain);
    if (!lines) {
      lines = ruleLines(body.text);
      linesByChain.set(rule.chain, lines);
    }
    // The balancing rule is the one whose target is the endpoint chain; affinity rules (`-m recent --rcheck`) jump
    // there too, so the last such rule is the balancing one (kube-proxy writes affinity rules first).
    let position = -1;
    for (let i = 0; i < lines.length; i++) if (jumpsTo(lines[i] as string, rule.sepChain)) position = i;
    if (position >= 0 && digest) positions.push({ ...rule, position, chainDigest: digest });
  }
  return positions;
}

function jumpsTo(line: string, chain: string): boolean {
  return line.endsWith(` -j ${chain}`) || line.endsWith(` -g ${chain}`);
}

async function latestSamples(db: Db, target: CounterTarget, batch: readonly PositionedRule[]): Promise<Sample[]> {
  // A VALUES list of (chain, position) drives one correlated MAX per rule (a backward seek on the index), then the
  // sample itself is read by its primary key. The casts type the bound parameters for PostgreSQL.
  const values = Prisma.join(batch.map((p) => Prisma.sql`(CAST(${p.chain} AS TEXT), CAST(${p.position} AS INTEGER))`));
  const rows = await db.$queryRaw<{ chain: string; position: number | bigint; capturedAt: Date | string; packets: bigint | number; bytes: bigint | number }[]>`
    WITH r("chain", "position") AS (VALUES ${values}),
    l AS (
      SELECT r."chain", r."position", (
        SELECT MAX(s."capturedAt") FROM "RuleCounterSample" s
        WHERE s."nodeId" = ${target.nodeId} AND s."chain" = r."chain" AND s."position" = r."position"
          AND s."family" = ${target.family} AND s."capturedAt" <= ${target.at}
      ) AS "at"
      FROM r
    )
    SELECT s."chain", s."position", s."capturedAt", s."packets", s."bytes"
    FROM l JOIN "RuleCounterSample" s
      ON s."nodeId" = ${target.nodeId} AND s."family" = ${target.family} AND s."capturedAt" = l."at"
     AND s."chain" = l."chain" AND s."position" = l."position"`;
  return rows.map((row) => ({
    chain: row.chain,
    position: Number(row.position),
    capturedAt: row.capturedAt instanceof Date ? row.capturedAt : new Date(row.capturedAt),
    packets: Number(row.packets),
    bytes: Number(row.bytes),
  }));
}
