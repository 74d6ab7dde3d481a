/**
 * One table of a dump, indexed for the model: chains by name with who jumps to them, and every rule's facts read
 * once, when first asked for. Everything the model does afterwards is a lookup here, which keeps it linear in the
 * size of the dump (a 10k-service node has ~60k chains and ~170k rules); one map entry per chain holds all of it,
 * because on tables that large every extra hash-map lookup shows.
 */
import type { Chain, IptablesDump, Rule, Table } from "../iptables/types";
import { ENDPOINT_CHAIN_PREFIX } from "./chain-names";
import { readRuleFacts, type RuleFacts } from "./rule-facts";

/** A chain of the table and what the index knows about it, made when the model first asks for the chain. */
export interface IndexedChain {
  chain: Chain;
  /** Position among the table's chains, in declaration order. */
  ordinal: number;
  /** Facts of its rules read so far, by rule index (see {@link chainFacts} and {@link ruleFacts}). */
  facts: (RuleFacts | undefined)[] | null;
  /** True once `facts` holds every rule's. */
  allFacts: boolean;
  /**
   * The endpoint chain each rule jumps to, by rule index, resolved while indexing (undefined for a rule that jumps to
   * no endpoint chain), or null for a chain that jumps to none: a balancing chain's ladder then needs no lookup by name
   * per endpoint.
   */
  endpointJumps: (Chain | undefined)[] | null;
}

export interface TableIndex {
  table: Table | null;
  /**
   * Chains by name, but for endpoint chains (`KUBE-SEP-…`, most chains of a large node), which {@link lookupChain}
   * finds; chains a restore input deletes with `-X` are left out.
   */
  chains: Map<string, IndexedChain>;
  /**
   * Every chain, in the table's order (a table names each chain once, as iptables requires), and by the same position
   * 1 when a rule of another chain jumps (or goes) to it, else 0. Per-position arrays rather than an object per chain:
   * ~50k of a large node's ~60k chains are endpoint chains, which the model reaches through jumps only.
   */
  order: Chain[];
  jumped: Uint8Array;
  /** What the index knows of the chain at each position, once made (see {@link lookupChain}). */
  indexed: (IndexedChain | undefined)[];
  /** Positions of the endpoint chains by name, made on the first lookup of one by name (see {@link lookupChain}). */
  endpointChains: Map<string, number> | null;
  /** Jump targets named `KUBE-…` that are not chains of the table, with the first rule jumping to each. */
  missingTargets: Map<string, Rule>;
  /** Chains whose facts were read since the last {@link releaseChainFacts} or {@link keepChainFacts}. */
  factsRead: IndexedChain[];
  /**
   * Names of the chains that may be service chains (`KUBE-` and 24 characters or more, not `KUBE-SEP-`), in
   * declaration order: picked out while each name is at hand, so that finding a dump's service ports does not read
   * the ~50k endpoint chain names of a large node a second time.
   */
  serviceChainCandidates: string[];
}

const EMPTY: readonly RuleFacts[] = [];

function newIndexedChain(chain: Chain, ordinal: number): IndexedChain {
  return { chain, ordinal, facts: null, allFacts: false, endpointJumps: null };
}

/** Indexes a table (or nothing, for a dump without it). */
export function indexTable(table: Table | null): TableIndex {
  const chains = new Map<string, IndexedChain>();
  const missingTargets = new Map<string, Rule>();
  const serviceChainCandidates: string[] = [];
  const index: TableIndex = {
    table,
    chains,
    order: [],
    jumped: new Uint8Array(0),
    indexed: [],
    endpointChains: null,
    missingTargets,
    factsRead: [],
    serviceChainCandidates,
  };
  if (table === null) return index;

  // A chain declared and then deleted with -X (kube-proxy's stale-chain cleanup) no longer exists.
  const deleted = table.deletedChains.length === 0 ? null : new Set(table.deletedChains);
  const order = deleted === null ? table.chains : table.chains.filter((chain) => !deleted.has(chain.name));
  const count = order.length;
  const indexed = new Array<IndexedChain | undefined>(count);
  const jumped = new Uint8Array(count);
  // 1 at the position of an endpoint chain: a jump found there is told without reading the target's name again.
  const endpointAt = new Uint8Array(count);
  let endpointChains = 0;
  for (let k = 0; k < count; k++) {
    const chain = order[k]!;
    const name = chain.name;
    // The endpoint chains are made known only if one is looked up by name: the jumps to them are found below by their
    // place in the table, and the model reaches them through those jumps.
    if (name.startsWith(ENDPOINT_CHAIN_PREFIX)) {
      endpointChains++;
      endpointAt[k] = 1;
      continue;
    }
    const made = newIndexedChain(chain, k);
    indexed[k] = made;
    chains.set(name, made);
    if (name.length >= 24 && name.startsWith("KUBE-")) serviceChainCandidates.push(name);
  }
  index.order = order;
  index.jumped = jumped;
  index.indexed = indexed;
  // A parsed table names each chain once; a table made otherwise might not, and then only a map says which is meant.
  const guessing = chains.size + endpointChains === count;
  // Runs of rules jump to the same chain (every endpoint chain starts with `-j KUBE-MARK-MASQ`): the last target's
  // lookup is remembered. And kube-proxy declares a chain's targets right after it, in the order it jumps to them (a
  // service's KUBE-SVC, then its KUBE-SEP chains): the chain declared after the last one found is tried before the
  // map. A hit compares two names read in declaration order; a map lookup reaches for a name anywhere in the dump.
  let lastTarget: string | null = null;
  let lastFound = -1;
  let next = 0;
  for (let c = 0; c < count; c++) {
    const rules = order[c]!.rules;
    let endpointJumps: (Chain | undefined)[] | null = null;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const target = rule.target;
      // Only kube-proxy's chains matter here; DNAT, MARK, RETURN … are extensions, other chains other components'.
      if (target === null || target === lastTarget) {
        if (target === null) continue;
      } else {
        if (!target.startsWith("KUBE-")) continue;
        lastTarget = target;
        if (r === 0 || next <= c) next = c + 1;
        lastFound = guessing ? declaredNear(order, next, c, target) : -1;
        if (lastFound < 0) lastFound = lookupChain(index, target)?.ordinal ?? -1;
        if (lastFound >= 0) next = lastFound + 1;
      }
      const found = lastFound;
      if (found < 0) {
        if (!missingTargets.has(target)) missingTargets.set(target, rule);
      } else {
        if (rule.chain !== target) jumped[found] = 1;
        if (endpointAt[found] === 1) (endpointJumps ??= new Array(rules.length))[r] = order[found];
      }
    }
    if (endpointJumps !== null) (indexed[c] ??= newIndexedChain(order[c]!, c)).endpointJumps = endpointJumps;
  }
  return index;
}

/**
 * The position of the chain named `name` when it is the one at `next` or among the few declared after chain `source`
 * (a KUBE-SVC's KUBE-SVL comes between it and its KUBE-SEP chains), else -1.
 */
function declaredNear(order: readonly Chain[], next: number, source: number, name: string): number {
  const guess = order[next];
  if (guess !== undefined && guess.name === name) return next;
  const end = Math.min(order.length, source + 1 + NEAR);
  for (let k = source + 1; k < end; k++) if (order[k]!.name === name) return k;
  return -1;
}

/** How many chains after a chain its targets are looked for among. */
const NEAR = 8;

/** The chain named `name`, endpoint chains included. */
export function lookupChain(index: TableIndex, name: string): IndexedChain | undefined {
  const found = index.chains.get(name);
  if (found !== undefined || !name.startsWith(ENDPOINT_CHAIN_PREFIX)) return found;
  if (index.endpointChains === null) {
    const endpoints = new Map<string, number>();
    const { order } = index;
    for (let k = 0; k < order.length; k++) if (order[k]!.name.startsWith(ENDPOINT_CHAIN_PREFIX)) endpoints.set(order[k]!.name, k);
    index.endpointChains = endpoints;
  }
  const k = index.endpointChains.get(name);
  return k === undefined ? undefined : (index.indexed[k] ??= newIndexedChain(index.order[k]!, k));
}

/** The facts of a chain's rules in rule order (empty when the chain is absent), read on first use. */
export function chainFacts(index: TableIndex, chain: string): readonly RuleFacts[] {
  const indexed = lookupChain(index, chain);
  if (indexed === undefined) return EMPTY;
  if (!indexed.allFacts) {
    const rules = indexed.chain.rules;
    const facts = indexed.facts ?? startFacts(index, indexed);
    for (let i = 0; i < rules.length; i++) facts[i] ??= readRuleFacts(rules[i]!);
    indexed.allFacts = true;
  }
  return indexed.facts as RuleFacts[];
}

/** A chain of the table with what the index knows, for readers that pick rules by target before reading facts. */
export function indexedChain(index: TableIndex, chain: string): IndexedChain | undefined {
  return lookupChain(index, chain);
}

/**
 * The facts of rule `i` of an indexed chain, read on first use: a service port's paths need those of its masquerade
 * and hop rules only, not of the ~5 rules per endpoint of its balancing chain.
 */
export function ruleFacts(index: TableIndex, indexed: IndexedChain, i: number): RuleFacts {
  const facts = indexed.facts ?? startFacts(index, indexed);
  return (facts[i] ??= readRuleFacts(indexed.chain.rules[i]!));
}

function startFacts(index: TableIndex, indexed: IndexedChain): (RuleFacts | undefined)[] {
  const facts = new Array<RuleFacts | undefined>(indexed.chain.rules.length);
  indexed.facts = facts;
  index.factsRead.push(indexed);
  return facts;
}

/**
 * The rules of a chain (empty when the chain is absent), for readers that decide by a rule's target alone.
 */
export function chainRules(index: TableIndex, chain: string): readonly Rule[] {
  return lookupChain(index, chain)?.chain.rules ?? NO_RULES;
}

const NO_RULES: readonly Rule[] = [];

/**
 * Forgets the facts read since the last call (they are read again if asked for): a large dump's model, done with one
 * service port's chains, does not hold ~100k rules' facts. No lookup by name: the index remembers what it read.
 */
export function releaseChainFacts(index: TableIndex): void {
  for (const indexed of index.factsRead) {
    indexed.facts = null;
    indexed.allFacts = false;
  }
  index.factsRead.length = 0;
}

/** Keeps the facts read so far for good (the entry chains every service port reads), out of the next release. */
export function keepChainFacts(index: TableIndex): void {
  index.factsRead.length = 0;
}

/** True when a rule of another chain jumps to `chain`. */
export function isJumpedTo(index: TableIndex, chain: string): boolean {
  const indexed = lookupChain(index, chain);
  return indexed !== undefined && index.jumped[indexed.ordinal] === 1;
}

/** The line of a chain's declaration, or of the first rule jumping to it when it does not exist. */
export function chainLine(index: TableIndex, chain: string): number | undefined {
  return lookupChain(index, chain)?.chain.line ?? index.missingTargets.get(chain)?.line;
}

/**
 * The nat table of a dump. An `iptables -t nat -S` listing parsed without a table name comes as a single implied
 * table; it is taken as the nat table when the dump has no table of that name.
 */
export function findNatTable(dump: IptablesDump): Table | null {
  const nat = dump.tables.find((t) => t.name === "nat");
  if (nat !== undefined) return nat;
  if (dump.format === "listing" && dump.tables.length === 1) return dump.tables[0]!;
  return null;
}

export function findTable(dump: IptablesDump, name: string): Table | null {
  return dump.tables.find((t) => t.name === name) ?? null;
}
