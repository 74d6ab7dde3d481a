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
  /** Chains by name; chains a restore input deletes with `-X` are left out. */
  chains: Map<string, IndexedChain>;
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
  const index: TableIndex = { table, chains, missingTargets, factsRead: [], serviceChainCandidates };
  if (table === null) return index;

  // A chain declared and then deleted with -X (kube-proxy's stale-chain cleanup) no longer exists.
  const deleted = table.deletedChains.length === 0 ? null : new Set(table.deletedChains);
  const kept: IndexedChain[] = [];
  for (const chain of table.chains) {
    if (deleted !== null && deleted.has(chain.name)) continue;
    const indexed: IndexedChain = { chain, ordinal: kept.length, jumpedFrom: null, facts: null, allFacts: false, endpointJumps: null };
    const name = chain.name;
    chains.set(name, indexed);
    kept.push(indexed);
    if (name.length >= 24 && name.startsWith("KUBE-") && !name.startsWith(ENDPOINT_CHAIN_PREFIX)) serviceChainCandidates.push(name);
  }
  // A parsed table names each chain once; a table made otherwise might not, and then only the map says which is meant.
  const guessing = chains.size === kept.length;
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
        lastIndexed = guessing ? declaredAt(kept, next, target) ?? declaredAt(kept, c + 1, target) : undefined;
        lastIndexed ??= chains.get(target);
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

/** The chain at `ordinal` when it is named `name`. */
function declaredAt(kept: readonly IndexedChain[], ordinal: number, name: string): IndexedChain | undefined {
  const guess = kept[ordinal];
  return guess !== undefined && guess.chain.name === name ? guess : undefined;
}

/** The facts of a chain's rules in rule order (empty when the chain is absent), read on first use. */
export function chainFacts(index: TableIndex, chain: string): readonly RuleFacts[] {
  const indexed = index.chains.get(chain);
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
  return index.chains.get(chain);
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
  return index.chains.get(chain)?.chain.rules ?? NO_RULES;
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
  return (index.chains.get(chain)?.jumpedFrom ?? null) !== null;
}

/** The line of a chain's declaration, or of the first rule jumping to it when it does not exist. */
export function chainLine(index: TableIndex, chain: string): number | undefined {
  return index.chains.get(chain)?.chain.line ?? index.missingTargets.get(chain)?.line;
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
