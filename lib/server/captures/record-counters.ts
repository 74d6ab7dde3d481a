/**
 * Rule counters of a capture → RuleCounterSample rows (only counters that changed) and EndpointTraffic windows.
 *
 * Counters arrive as (chain digest, rule position). The node's last known value of a rule is its latest stored
 * sample; it counts as the same rule only while the chain kept the same body (a rewritten chain has a new digest
 * and kube-proxy's restore started its counters from zero). In the nat table only a connection's first packet
 * traverses the chains, so the packet delta of a KUBE-SVC/KUBE-SVL rule that jumps to an endpoint's KUBE-SEP chain
 * is the number of new connections this node sent to that endpoint. A counter lower than the last known value
 * means kube-proxy rewrote the chain with an identical body (a full resync) and reset it: the new value is counted
 * from zero, never as a negative delta.
 */
import type { CounterUpload } from "../../contracts/capture";
import type { ProxyModel } from "../../kube-proxy/types";
import { apiError } from "../http/api-error";
import { readRulesetManifest } from "./read-ruleset-manifest";
import { chunked, INSERT_CHUNK, IngestRefusal, type Tx } from "./transaction";

/** The capture whose counters are recorded. */
export interface CounterContext {
  nodeId: number;
  family: string;
  capturedAt: Date;
  rulesetDigest: string;
  /** First capture time of the snapshot the capture joined: samples since then are of the same bodies. */
  snapshotFirstSeen: Date;
  /** When the node's previous capture (this family) was taken; null for its first capture. */
  previousCaptureAt: Date | null;
  /** True when the capture arrived after later ones: its samples are kept, but no traffic window is derived. */
  late: boolean;
}

/** What was written. */
export interface CounterOutcome {
  samples: number;
  trafficWindows: number;
}

interface RuleRef {
  chain: string;
  position: number;
  packets: number;
  bytes: number;
  /** The rule's text line (`-A CHAIN …`), for attribution. */
  line: string;
}

/** Records the counters (see the module comment). Refuses counters of chains or rules the ruleset does not have. */
export async function recordCounters(
  tx: Tx,
  context: CounterContext,
  counters: readonly CounterUpload[],
  model: () => Promise<ProxyModel>,
): Promise<CounterOutcome> {
  if (counters.length === 0) return { samples: 0, trafficWindows: 0 };
  const { rules, manifest } = await resolveRules(tx, context, counters);
  const previous = await lastKnownValues(tx, context, rules, manifest);

  const samples = rules.filter((r) => {
    const old = previous.get(ruleKey(r));
    return !old || old.packets !== r.packets || old.bytes !== r.bytes;
  });
  for (const slice of chunked(samples, INSERT_CHUNK)) {
    await tx.ruleCounterSample.createMany({
      data: slice.map((r) => ({
        nodeId: context.nodeId,
        family: context.family,
        capturedAt: context.capturedAt,
        chain: r.chain,
        position: r.position,
        packets: BigInt(r.packets),
        bytes: BigInt(r.bytes),
      })),
    });
  }

  if (context.late || context.previousCaptureAt === null) return { samples: samples.length, trafficWindows: 0 };
  const windows = await endpointDeltas(samples, previous, model);
  const windowStart = context.previousCaptureAt;
  for (const slice of chunked([...windows], INSERT_CHUNK)) {
    await tx.endpointTraffic.createMany({
      data: slice.map(([key, newConnections]) => {
        const [servicePort, endpoint] = key.split("\u0000") as [string, string];
        return { nodeId: context.nodeId, servicePort, endpoint, windowStart, windowEnd: context.capturedAt, newConnections };
      }),
    });
  }
  return { samples: samples.length, trafficWindows: windows.size };
}

const ruleKey = (r: { chain: string; position: number }) => `${r.chain}\u0000${r.position}`;

/** The counters' chains as the ruleset has them: names, tables and digests (for the samples' chain names). */
type ChainsOfCounters = { chains: string[]; tables: string[]; digestOf: Map<string, string> };

/** Chain names and rule lines of the counters' rules, checked against the capture's ruleset. */
async function resolveRules(
  tx: Tx,
  context: CounterContext,
  counters: readonly CounterUpload[],
): Promise<{ rules: RuleRef[]; manifest: ChainsOfCounters }> {
  const digests = [...new Set(counters.map((c) => c.chainDigest))];
  const rows = await tx.chainBody.findMany({ where: { digest: { in: digests } }, select: { digest: true, text: true, table: true } });
  const bodies = new Map(rows.map((b) => [b.digest, b.text]));
  const tables = [...new Set(rows.map((b) => b.table))];
  const names = new Map<string, string>();
  for (const [digest, text] of bodies) {
    const name = /^-[AP] (\S+)/.exec(text)?.[1] ?? /^(?:chain|set|map) (\S+)/.exec(text)?.[0];
    if (name) names.set(digest, name);
  }
  const chains = [...new Set(names.values())];
  const manifest = await readRulesetManifest(tx, context.rulesetDigest, { chains, tables });
  const inRuleset = new Set(manifest.map((e) => e.digest));
  const rules: RuleRef[] = [];
  const linesOf = new Map<string, string[]>();
  counters.forEach((counter, index) => {
    const name = names.get(counter.chainDigest);
    if (!name || !inRuleset.has(counter.chainDigest)) {
      throw new IngestRefusal(
        apiError(400, `counters.${index}.chainDigest: not a chain of this capture's ruleset`, { field: `counters.${index}.chainDigest`, digest: counter.chainDigest }),
      );
    }
    let lines = linesOf.get(counter.chainDigest);
    if (!lines) {
      const body = bodies.get(counter.chainDigest) as string;
      // iptables bodies: the -A lines are the rules. nft bodies: every line after the object's header.
      lines = body.startsWith("-") ? body.split("\n").filter((l) => !l.startsWith("-P ")) : body.split("\n").slice(1);
      linesOf.set(counter.chainDigest, lines);
    }
    const line = lines[counter.rule];
    if (line === undefined) {
      throw new IngestRefusal(
        apiError(400, `counters.${index}.rule: chain ${name} has ${lines.length} rules`, { field: `counters.${index}.rule`, digest: counter.chainDigest }),
      );
    }
    rules.push({ chain: name, position: counter.rule, packets: counter.packets, bytes: counter.bytes, line });
  });
  return { rules, manifest: { chains, tables, digestOf: new Map(manifest.map((e) => [e.chain, e.digest])) } };
}

/**
 * The last known value of each rule, when it still describes the same rule: the latest sample before the capture,
 * kept when taken during the capture's snapshot or when the chain had the same body in the snapshot it was taken in.
 */
async function lastKnownValues(
  tx: Tx,
  context: CounterContext,
  rules: readonly RuleRef[],
  manifest: ChainsOfCounters,
): Promise<Map<string, { packets: number; bytes: number }>> {
  const { chains, tables, digestOf: digestNow } = manifest;
  const where = { nodeId: context.nodeId, family: context.family, chain: { in: chains }, capturedAt: { lt: context.capturedAt } };
  const latest = await tx.ruleCounterSample.groupBy({ by: ["chain", "position"], where, _max: { capturedAt: true } });
  if (latest.length === 0) return new Map();
  const times = [...new Set(latest.map((l) => (l._max.capturedAt as Date).getTime()))].map((ms) => new Date(ms));
  const latestAt = new Map(latest.map((l) => [ruleKey(l), (l._max.capturedAt as Date).getTime()]));
  const rows = await tx.ruleCounterSample.findMany({ where: { ...where, capturedAt: { in: times } } });
  const values = new Map<string, { packets: number; bytes: number; at: Date }>();
  for (const row of rows) {
    if (latestAt.get(ruleKey(row)) === row.capturedAt.getTime()) {
      values.set(ruleKey(row), { packets: Number(row.packets), bytes: Number(row.bytes), at: row.capturedAt });
    }
  }

  // Samples older than the snapshot: same rule only if the chain had the same body in the snapshot they belong to.
  const older = [...new Set([...values.values()].filter((v) => v.at < context.snapshotFirstSeen).map((v) => v.at.getTime()))];
  const sameBodyAt = new Map<number, Set<string>>();
  for (const ms of older) {
    const covering = await tx.snapshot.findFirst({
      where: { nodeId: context.nodeId, family: context.family, firstSeen: { lte: new Date(ms) } },
      orderBy: { firstSeen: "desc" },
      select: { rulesetDigest: true },
    });
    const then = covering ? await readRulesetManifest(tx, covering.rulesetDigest, { chains, tables }) : [];
    sameBodyAt.set(ms, new Set(then.filter((e) => digestNow.get(e.chain) === e.digest).map((e) => e.chain)));
  }
  const known = new Map<string, { packets: number; bytes: number }>();
  for (const [key, value] of values) {
    const chain = key.split("\u0000")[0] as string;
    if (value.at >= context.snapshotFirstSeen || sameBodyAt.get(value.at.getTime())?.has(chain)) {
      known.set(key, { packets: value.packets, bytes: value.bytes });
    }
  }
  return known;
}

const endpointIndexes = new WeakMap<ProxyModel, Map<string, string>>();

/** `KUBE-SEP-… → "servicePort\0address"` of a model, built once per model (50k endpoints at 10k services). */
function endpointIndex(model: ProxyModel): Map<string, string> {
  let index = endpointIndexes.get(model);
  if (!index) {
    index = new Map();
    for (const port of model.servicePorts) {
      for (const endpoint of port.endpoints) index.set(endpoint.sepChain, `${port.name}\u0000${endpoint.address}`);
    }
    endpointIndexes.set(model, index);
  }
  return index;
}

/**
 * The endpoint chain a rule sends new connections to: iptables `-A KUBE-SVC|SVL-… -j KUBE-SEP-…`; nftables, the
 * counted `dnat` rule inside an `endpoint-…` chain (kube-proxy balances with one vmap rule, so the per-endpoint
 * count is in the endpoint chain).
 */
function balancedEndpointChain(rule: RuleRef): string | undefined {
  const iptables = /^-A KUBE-(?:SVC|SVL)-\S+ .*-j (KUBE-SEP-\S+)$/.exec(rule.line)?.[1];
  if (iptables) return iptables;
  if (rule.chain.startsWith("chain endpoint-") && /\bdnat\b/.test(rule.line)) return rule.chain.slice("chain ".length);
  return undefined;
}

/**
 * New connections per (service port, endpoint) from the changed balancing rules. Every rule of a KUBE-SVC/KUBE-SVL
 * chain that jumps to an endpoint's KUBE-SEP chain counts: the balancing rule, and with ClientIP affinity the
 * `--rcheck` rule that sends returning clients to the same endpoint.
 */
async function endpointDeltas(
  changed: readonly RuleRef[],
  previous: ReadonlyMap<string, { packets: number; bytes: number }>,
  model: () => Promise<ProxyModel>,
): Promise<Map<string, number>> {
  const jumps = changed
    .map((rule) => ({ rule, target: balancedEndpointChain(rule) }))
    .filter((j): j is { rule: RuleRef; target: string } => j.target !== undefined);
  const windows = new Map<string, number>();
  if (jumps.length === 0) return windows;
  const endpointBySep = endpointIndex(await model());
  for (const { rule, target } of jumps) {
    const key = endpointBySep.get(target);
    if (!key) continue;
    const before = previous.get(ruleKey(rule))?.packets ?? 0;
    // A counter that went down was reset by a rewrite: everything it shows is new.
    const delta = rule.packets >= before ? rule.packets - before : rule.packets;
    if (delta > 0) windows.set(key, (windows.get(key) ?? 0) + delta);
  }
  return windows;
}
