/**
 * The tables a parse builds, with the name indexes the output does not carry, and the lookups commands need.
 *
 * Ordering is forgiven where a partial input needs it: a rule or element for a chain or set that was never declared
 * creates an undeclared one (`declared: false`) rather than failing.
 */
import { failAt } from "./nft-cursor";
import type { NftToken } from "./tokenize-nft";
import type { NftChain, NftFamily, NftSet, NftTable } from "./types";

/** nftables address families (nft(8)); a command that names none means `ip`. */
export const FAMILIES = new Set<string>(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);

/** The tables being built, with name indexes the output does not carry. */
export interface RulesetState {
  tables: Map<string, TableState>;
  sawListing: boolean;
  sawScript: boolean;
}

/** One table and its chains and sets by name. */
export interface TableState {
  table: NftTable;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

/** The table `family name`, created when missing; `declare` marks it declared by the input. */
export function tableState(state: RulesetState, family: NftFamily, name: string, line: number, declare: boolean): TableState {
  const key = `${family} ${name}`;
  let entry = state.tables.get(key);
  if (!entry) {
    const table: NftTable = { family, name, comment: null, flags: [], chains: [], sets: [], objects: [], declared: declare, handle: null, line };
    entry = { table, chains: new Map(), sets: new Map() };
    state.tables.set(key, entry);
  }
  if (declare) entry.table.declared = true;
  return entry;
}

/** The chain `name` of a table, created (undeclared unless `declare`) when missing. */
export function chainOf(entry: TableState, name: string, line: number, declare: boolean): NftChain {
  let chain = entry.chains.get(name);
  if (!chain) {
    chain = { name, hook: null, comment: null, rules: [], declared: declare, handle: null, line };
    entry.chains.set(name, chain);
    entry.table.chains.push(chain);
  }
  if (declare) chain.declared = true;
  return chain;
}

/** The set or map `name` of a table, created (undeclared unless `declare`) when missing. */
export function setOf(entry: TableState, name: string, kind: "set" | "map", line: number, declare: boolean): NftSet {
  let set = entry.sets.get(name);
  if (!set) {
    set = { name, kind, type: "", flags: [], timeoutSeconds: null, size: null, comment: null, elements: [], declared: declare, handle: null, line };
    entry.sets.set(name, set);
    entry.table.sets.push(set);
  }
  if (declare) {
    set.declared = true;
    set.kind = kind;
  }
  return set;
}

/** `[family] table [name…]` of a command or header: the family is optional and defaults to `ip` (nft(8)). */
export function splitTableRef(words: readonly NftToken[], names: number, at: NftToken): { family: NftFamily; table: string; rest: NftToken[] } {
  const hasFamily = words.length > names + 1 && FAMILIES.has(words[0]!.value);
  const family = (hasFamily ? words[0]!.value : "ip") as NftFamily;
  const refs = words.slice(hasFamily ? 1 : 0);
  if (refs.length < names + 1) failAt("table name expected", words[words.length - 1] ?? at);
  return { family, table: refs[0]!.value, rest: refs.slice(1) };
}

/** The table a command names; nft refuses commands for a table that does not exist, and so does the parser. */
export function requireTable(state: RulesetState, family: NftFamily, name: string, at: NftToken): TableState {
  const entry = state.tables.get(`${family} ${name}`);
  if (!entry) failAt(`table ${family} ${name} does not exist`, at);
  return entry;
}

/** Deletes a chain from a table. */
export function removeChain(entry: TableState, chain: NftChain): void {
  entry.chains.delete(chain.name);
  entry.table.chains = entry.table.chains.filter((c) => c !== chain);
}

/** Deletes a set or map from a table. */
export function removeSet(entry: TableState, set: NftSet): void {
  entry.sets.delete(set.name);
  entry.table.sets = entry.table.sets.filter((s) => s !== set);
}
