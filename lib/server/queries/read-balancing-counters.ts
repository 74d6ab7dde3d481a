/**
 * New connections per endpoint at a node's latest capture, from rule counters (`KUBE-SVC-X … -j KUBE-SEP-Y`). In the
 * nat table only the first packet of a connection traverses the chains, so such a counter is the number of new
 * connections this node sent to that endpoint since kube-proxy last wrote the chain — the figure `iptables-save -c`
 * shows and the seed note counts by hand (35 / 33 / 32).
 *
 * Counter samples are stored only when they change, keyed by chain name and rule position, so the value at time t is
 * the newest sample at or before t — one backward seek on the (nodeId, chain, capturedAt) index per rule.
 */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { Db } from "../db";
import { readChainBodies, ruleLines } from "./read-chain-bodies";
import { findManifestRow, readManifest, type ManifestRow } from "./read-manifest";
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
  /** kube-proxy mode of the ruleset: where the per-endpoint counter is depends on it. */
  mode: string;
  rulesetDigest: string;
  /** Start of the snapshot showing `rulesetDigest`: samples since then are of its chain bodies. */
  snapshotFirstSeen: Date;
  at: Date;
}

/**
 * New connections per endpoint in the node's ruleset as of `target.at`, keyed by `balancingRuleKey`. Endpoints
 * without a valid sample (no packet counted since kube-proxy wrote their rules) are absent.
 *
 * Which rules count: iptables mode, every rule of the balancing chain that jumps to the endpoint's KUBE-SEP chain —
 * the probability rule, and with ClientIP affinity the `--rcheck` rule that sends returning clients back; nftables
 * mode, the counted `dnat` rule of the endpoint's chain (kube-proxy balances with one vmap rule, so the per-endpoint
 * count lives there).
 *
 * A sample names a rule by chain and position only, so it belongs to the body the chain had when it was taken. One
 * taken before the snapshot began counts only if the chain had the same body then; otherwise kube-proxy rewrote
 * the chain since, its counters restarted from zero, and agents do not send zero counters.
 */
export async function readBalancingCounters(db: Db, target: CounterTarget, rules: readonly BalancingRuleRef[]): Promise<Map<string, RuleCounters>> {
  const counters = new Map<string, RuleCounters>();
  if (rules.length === 0) return counters;
  const counted = await countedRules(db, target, rules);
  const byPosition = new Map(counted.map((r) => [`${r.chain}\u0000${r.position}`, r]));
  const valid: { rule: CountedRule; sample: Sample }[] = [];
  const older: { rule: CountedRule; sample: Sample }[] = [];
  for (let start = 0; start < counted.length; start += BATCH) {
    for (const sample of await latestSamples(db, target, counted.slice(start, start + BATCH))) {
      const rule = byPosition.get(`${sample.chain}\u0000${sample.position}`);
      if (!rule) continue;
      (sample.capturedAt >= target.snapshotFirstSeen ? valid : older).push({ rule, sample });
    }
  }
  // Few distinct times in practice (the captures just before the snapshot began); each is one cached manifest.
  const digestsAt = new Map<number, readonly ManifestRow[]>();
  for (const entry of older) {
    const ms = entry.sample.capturedAt.getTime();
    let manifest = digestsAt.get(ms);
    if (!manifest) {
      const snapshot = await snapshotAt(db, target.nodeId, target.family as AddressFamily, entry.sample.capturedAt);
      manifest = snapshot ? await readManifest(db, snapshot.rulesetDigest) : [];
      digestsAt.set(ms, manifest);
    }
    if (findManifestRow(manifest, entry.rule.table, entry.rule.chain)?.chainDigest === entry.rule.chainDigest) valid.push(entry);
  }
  for (const { rule, sample } of valid) {
    const sum = counters.get(rule.key) ?? { packets: 0, bytes: 0 };
    counters.set(rule.key, { packets: sum.packets + sample.packets, bytes: sum.bytes + sample.bytes });
  }
  return counters;
}

interface Sample extends RuleCounters {
  chain: string;
  position: number;
  capturedAt: Date;
}

/** One rule whose counter counts an endpoint's new connections. */
interface CountedRule {
  /** `balancingRuleKey` of the endpoint it counts for. */
  key: string;
  /** Manifest table and chain (the chain name samples carry), rule position in the body, the body's digest. */
  table: string;
  chain: string;
  position: number;
  chainDigest: string;
}

/** The counted rules of `rules` (see readBalancingCounters), located in the stored chain bodies. */
async function countedRules(db: Db, target: CounterTarget, rules: readonly BalancingRuleRef[]): Promise<CountedRule[]> {
  const manifest = await readManifest(db, target.rulesetDigest);
  const nft = target.mode === "nftables";
  const table = nft ? (target.family === "ipv6" ? "ip6 kube-proxy" : "ip kube-proxy") : "nat";
  // nftables objects are stored as `chain NAME` with their header line; iptables chains by name with `-A` lines.
  const located = rules.map((rule) => {
    const chain = nft ? `chain ${rule.sepChain}` : rule.chain;
    return { rule, chain, row: findManifestRow(manifest, table, chain) };
  });
  const bodies = await readChainBodies(db, located.flatMap((l) => (l.row ? [l.row.chainDigest] : [])));
  const counted: CountedRule[] = [];
  for (const { rule, chain, row } of located) {
    const body = row ? bodies.get(row.chainDigest) : undefined;
    if (!row || !body) continue;
    const lines = nft ? body.text.split("\n").slice(1) : ruleLines(body.text);
    const key = balancingRuleKey(rule.chain, rule.sepChain);
    lines.forEach((line, position) => {
      if (nft ? /\bdnat\b/.test(line) : jumpsTo(line, rule.sepChain)) counted.push({ key, table, chain, position, chainDigest: row.chainDigest });
    });
  }
  return counted;
}

function jumpsTo(line: string, chain: string): boolean {
  return line.endsWith(` -j ${chain}`) || line.endsWith(` -g ${chain}`);
}

async function latestSamples(db: Db, target: CounterTarget, batch: readonly CountedRule[]): Promise<Sample[]> {
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
