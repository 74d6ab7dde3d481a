/**
 * One table of a dump, indexed for the model: chains by name with who jumps to them, and every rule's facts read
 * once, when first asked for. Everything the model does afterwards is a lookup here, which keeps it linear in the
 * size of the dump (a 10k-service node has ~60k chains and ~170k rules); one map entry per chain holds all of it,
 * because on tables that large every extra hash-map lookup shows.
 */
import type { Chain, IptablesDump, Rule, Table } from "../iptables/types";
import { ENDPOINT_CHAIN_PREFIX } from "./chain-names";
import { readRuleFacts, type RuleFacts } from "./rule-facts";

/** A chain of the table and what the index knows about it. */
export interface IndexedChain {
  chain: Chain;
  /** Position among the table's chains, in declaration order. */
  ordinal: number;
  /** The first rule of another chain that jumps (or goes) to this one, else null. */
  jumpedFrom: Rule | null;
  /** Facts of its rules read so far, by rule index (see {@link chainFacts} and {@link ruleFacts}). */
  facts: (RuleFacts | undefined)[] | null;
  /** True once `facts` holds every rule's. */
  allFacts: boolean;
  /**
   * The endpoint chain each rule jumps to, by rule index, resolved while indexing (null for a chain that jumps to no
   * endpoint chain): a balancing chain's ladder then needs no lookup by name per endpoint.
   */
  endpointJumps: (IndexedChain | undefined)[] | null;
}

export interface TableIndex {
  table: Table | null;
  /**
   * Chains by name, but for endpoint chains (`KUBE-SEP-…`, most chains of a large node), which {@link lookupChain}
   * finds; chains a restore input deletes with `-X` are left out.
   */
  chains: Map<string, IndexedChain>;
  /** Every chain, in the table's order (a table names each chain once, as iptables requires). */
  kept: IndexedChain[];
  /** Endpoint chains by name, made on the first lookup of one by name (see {@link lookupChain}). */
  endpointChains: Map<string, IndexedChain> | null;
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

/** Indexes a table (or nothing, for a dump without it). */
export function indexTable(table: Table | null): TableIndex {
  const chains = new Map<string, IndexedChain>();
  const missingTargets = new Map<string, Rule>();
  const serviceChainCandidates: string[] = [];
  const kept: IndexedChain[] = [];
  const index: TableIndex = { table, chains, kept, endpointChains: null, missingTargets, factsRead: [], serviceChainCandidates };
  if (table === null) return index;

  // A chain declared and then deleted with -X (kube-proxy's stale-chain cleanup) no longer exists.
  const deleted = table.deletedChains.length === 0 ? null : new Set(table.deletedChains);
  let endpointChains = 0;
  for (const chain of table.chains) {
    if (deleted !== null && deleted.has(chain.name)) continue;
    const indexed: IndexedChain = { chain, ordinal: kept.length, jumpedFrom: null, facts: null, allFacts: false, endpointJumps: null };
    const name = chain.name;
    kept.push(indexed);
    // The endpoint chains' map is made only if one is looked up by name: the jumps to them are found below by their
    // place in the table, and the model reaches them through those jumps.
    if (name.startsWith(ENDPOINT_CHAIN_PREFIX)) {
      endpointChains++;
      continue;
    }
    chains.set(name, indexed);
    if (name.length >= 24 && name.startsWith("KUBE-")) serviceChainCandidates.push(name);
  }
  // A parsed table names each chain once; a table made otherwise might not, and then only a map says which is meant.
  const guessing = chains.size + endpointChains === kept.length;
  // Runs of rules jump to the same chain (every endpoint chain starts with `-j KUBE-MARK-MASQ`): the last target's
  // lookup is remembered. And kube-proxy declares a chain's targets right after it, in the order it jumps to them (a
  // service's KUBE-SVC, then its KUBE-SEP chains): the chain declared after the last one found is tried before the
  // map. A hit compares two names read in declaration order; a map lookup reaches for a name anywhere in the dump.
  let lastTarget: string | null = null;
  let lastIndexed: IndexedChain | undefined;
  let next = 0;
  for (let c = 0; c < kept.length; c++) {
    const source = kept[c]!;
    const rules = source.chain.rules;
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
        lastIndexed = guessing ? declaredNear(kept, next, c, target) : undefined;
        lastIndexed ??= lookupChain(index, target);
        if (lastIndexed !== undefined) next = lastIndexed.ordinal + 1;
      }
      const indexed = lastIndexed;
      if (indexed === undefined) {
        if (!missingTargets.has(target)) missingTargets.set(target, rule);
      } else {
        if (indexed.jumpedFrom === null && rule.chain !== target) indexed.jumpedFrom = rule;
        if (target.startsWith(ENDPOINT_CHAIN_PREFIX)) (source.endpointJumps ??= new Array(rules.length))[r] = indexed;
      }
    }
  }
  return index;
}

/**
 * The chain named `name` when it is the one at `next` or among the few declared after chain `source` (a KUBE-SVC's
 * KUBE-SVL comes between it and its KUBE-SEP chains), else undefined.
 */
function declaredNear(kept: readonly IndexedChain[], next: number, source: number, name: string): IndexedChain | undefined {
  const guess = kept[next];
  if (guess !== undefined && guess.chain.name === name) return guess;
  const end = Math.min(kept.length, source + 1 + NEAR);
  for (let k = source + 1; k < end; k++) if (kept[k]!.chain.name === name) return kept[k];
  return undefined;
}

/** How many chains after a chain its targets are looked for among. */
const NEAR = 8;

/** The chain named `name`, endpoint chains included. */
export function lookupChain(index: TableIndex, name: string): IndexedChain | undefined {
  const found = index.chains.get(name);
  if (found !== undefined || !name.startsWith(ENDPOINT_CHAIN_PREFIX)) return found;
  if (index.endpointChains === null) {
    const endpoints = new Map<string, IndexedChain>();
    for (const indexed of index.kept) if (indexed.chain.name.startsWith(ENDPOINT_CHAIN_PREFIX)) endpoints.set(indexed.chain.name, indexed);
    index.endpointChains = endpoints;
  }
  return index.endpointChains.get(name);
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
  return (lookupChain(index, chain)?.jumpedFrom ?? null) !== null;
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
