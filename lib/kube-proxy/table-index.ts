/**
 * One table of a dump, indexed for the model: chains by name, who jumps where, and every rule's facts read once,
 * when first asked for. Everything the model does afterwards is a lookup here, which keeps it linear in the size of
 * the dump (a 10k-service node has ~60k chains and ~170k rules).
 */
import type { Chain, IptablesDump, Rule, Table } from "../iptables/types";
import { readRuleFacts, type RuleFacts } from "./rule-facts";

export interface TableIndex {
  table: Table | null;
  /** Chains by name; chains a restore input deletes with `-X` are left out. */
  chains: Map<string, Chain>;
  /**
   * For every jump target, the first rule that jumps (or goes) to it from another chain — or, when only the target
   * itself does, its first such rule. Enough to tell referenced chains from orphans and to find dangling jumps.
   */
  firstJumpTo: Map<string, Rule>;
  /** Facts already read, by chain (filled by {@link chainFacts}). */
  facts: Map<string, readonly RuleFacts[]>;
}

const EMPTY: readonly RuleFacts[] = [];

/** Indexes a table (or nothing, for a dump without it). */
export function indexTable(table: Table | null): TableIndex {
  const chains = new Map<string, Chain>();
  const firstJumpTo = new Map<string, Rule>();
  const index: TableIndex = { table, chains, firstJumpTo, facts: new Map() };
  if (table === null) return index;

  const deleted = new Set(table.deletedChains);
  for (const chain of table.chains) {
    // A chain declared and then deleted with -X (kube-proxy's stale-chain cleanup) no longer exists.
    if (deleted.has(chain.name)) continue;
    chains.set(chain.name, chain);
    for (const rule of chain.rules) {
      const target = rule.target;
      if (target === null) continue;
      const known = firstJumpTo.get(target);
      if (known === undefined || (known.chain === target && rule.chain !== target)) firstJumpTo.set(target, rule);
    }
  }
  return index;
}

/** The facts of a chain's rules in rule order (empty when the chain is absent), read on first use. */
export function chainFacts(index: TableIndex, chain: string): readonly RuleFacts[] {
  const known = index.facts.get(chain);
  if (known !== undefined) return known;
  const rules = index.chains.get(chain)?.rules;
  if (rules === undefined) return EMPTY;
  const read = rules.map(readRuleFacts);
  index.facts.set(chain, read);
  return read;
}

/** Forgets the facts read for these chains (they are read again if asked for). */
export function releaseChainFacts(index: TableIndex, chains: Iterable<string>): void {
  for (const chain of chains) index.facts.delete(chain);
}

/** True when a rule of another chain jumps to `chain`. */
export function isJumpedTo(index: TableIndex, chain: string): boolean {
  const first = index.firstJumpTo.get(chain);
  return first !== undefined && first.chain !== chain;
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
