/**
 * The chains of one table while it is read: declarations (`:CHAIN POLICY [p:b]`, `-N`, `-P`), deletions (`-X`) and
 * chains that rules name without declaring them (grep excerpts, partial listings).
 */
import * as fields from "./line-fields";
import type { Fail } from "./line-fields";
import type { Chain, ChainDeletion, PacketCounters, Table } from "./types";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { clip, expectLineEnd, readBracketCounters, readInlineCounters, skipBlanks, wordEnd } = fields;

/** The tables iptables knows (the kernel refuses any other name, so another name means a damaged input). */
export const KNOWN_TABLES: ReadonlySet<string> = new Set(["filter", "nat", "mangle", "raw", "security"]);

/** `XT_EXTENSION_MAXNAMELEN - 1`: iptables refuses longer chain names. */
const MAX_CHAIN_NAME = 28;

const QUOTE = 34;
const DASH = 45;
const BANG = 33;
const LEFT_BRACKET = 91;

/** Chains of one table while it is being read. */
export interface TableState {
  table: Table;
  byName: Map<string, Chain>;
  /** Chains in declaration order. */
  declared: Chain[];
  /** Chains first met in a rule, in order of first use (some may be declared later). */
  undeclared: Chain[];
  deletions: ChainDeletion[];
  /** Where in `declared` the parser looks first for the chain of the next rule group (see parse-iptables-save.ts). */
  nextDeclared: number;
  /** Where in `declared` the parser looks first for the chain a rule jumps to (see parse-iptables-save.ts). */
  nextTarget: number;
}

export function newTableState(name: string, line: number): TableState {
  return {
    table: { name, chains: [], deletedChains: [], committed: false, line },
    byName: new Map(),
    declared: [],
    undeclared: [],
    deletions: [],
    nextDeclared: 0,
    nextTarget: 0,
  };
}

/** The table with its chains in order: declared ones first, then those only rules named. */
export function finishTable(state: TableState): Table {
  const { table } = state;
  table.chains = state.declared;
  for (const chain of state.undeclared) if (!chain.declared) table.chains.push(chain);
  table.deletions = state.deletions;
  return table;
}

/** A chain first met in a rule: kept, marked undeclared. */
export function newUndeclaredChain(state: TableState, name: string, at: number, line: number, fail: Fail): Chain {
  checkChainName(name, at, fail);
  const chain: Chain = { name, policy: null, counters: null, declared: false, line, rules: [] };
  state.byName.set(name, chain);
  state.undeclared.push(chain);
  return chain;
}

function declareChain(
  state: TableState,
  name: string,
  policy: string | null,
  counters: PacketCounters | null,
  line: number,
  at: number,
  fail: Fail,
): void {
  const chain: Chain = { name, policy, counters, declared: true, line, rules: [] };
  if (state.undeclared.length === 0) {
    // Until a rule names a chain before its declaration (only excerpts do), every chain in the map is declared: one
    // insertion both adds the chain and tells a second declaration, which the error path then looks up.
    const size = state.byName.size;
    state.byName.set(name, chain);
    if (state.byName.size > size) {
      state.declared.push(chain);
      return;
    }
    const first = state.declared.find((c) => c.name === name) as Chain;
    state.byName.set(name, first);
    fail(`chain ${name} declared twice (first at line ${first.line})`, at);
  }
  const existing = state.byName.get(name);
  if (existing !== undefined) {
    if (existing.declared) fail(`chain ${name} declared twice (first at line ${existing.line})`, at);
    // Rules named it before its declaration (grep excerpts): it now counts as declared, at this line.
    existing.declared = true;
    existing.policy = policy;
    existing.counters = counters;
    existing.line = line;
    state.declared.push(existing);
    return;
  }
  state.byName.set(name, chain);
  state.declared.push(chain);
}

/** `:NAME POLICY [p:b]` at `i`. */
export function readDeclaration(
  input: string,
  i: number,
  lineEnd: number,
  line: number,
  state: TableState,
  fail: Fail,
): void {
  const nameEnd = wordEnd(input, i + 1, lineEnd);
  const name = input.slice(i + 1, nameEnd);
  if (name === "") fail("chain name missing after :", i);
  checkChainName(name, i + 1, fail);
  const policyStart = skipBlanks(input, nameEnd, lineEnd);
  const policyEnd = wordEnd(input, policyStart, lineEnd);
  const policy = input.slice(policyStart, policyEnd);
  if (policy === "") fail(`policy missing for chain ${name}`, policyStart);
  if (policy !== "-" && policy !== "ACCEPT" && policy !== "DROP") {
    fail(`policy must be ACCEPT, DROP or - (got "${clip(policy)}")`, policyStart);
  }
  let counters: PacketCounters | null = null;
  const countersStart = skipBlanks(input, policyEnd, lineEnd);
  let after = countersStart;
  if (countersStart < lineEnd) {
    if (input.charCodeAt(countersStart) !== LEFT_BRACKET) fail("[packets:bytes] expected", countersStart);
    counters = readBracketCounters(input, countersStart, lineEnd, fail);
    after = input.indexOf("]", countersStart) + 1;
  }
  expectLineEnd(input, after, lineEnd, fail);
  declareChain(state, name, policy === "-" ? null : policy, counters, line, i, fail);
}

/** `-N NAME`, the chain name at `nameStart`. */
export function readNewChain(
  input: string,
  nameStart: number,
  nameEnd: number,
  end: number,
  line: number,
  state: TableState,
  fail: Fail,
): void {
  const name = input.slice(nameStart, nameEnd);
  checkChainName(name, nameStart, fail);
  expectLineEnd(input, nameEnd, end, fail);
  declareChain(state, name, null, null, line, nameStart, fail);
}

/** `-P NAME POLICY [-c PKTS BYTES]`, the chain name at `nameStart`. */
export function readPolicy(
  input: string,
  nameStart: number,
  nameEnd: number,
  end: number,
  line: number,
  state: TableState,
  fail: Fail,
): void {
  const name = input.slice(nameStart, nameEnd);
  checkChainName(name, nameStart, fail);
  const policyStart = skipBlanks(input, nameEnd, end);
  const policyEnd = wordEnd(input, policyStart, end);
  const policy = input.slice(policyStart, policyEnd);
  if (policy !== "ACCEPT" && policy !== "DROP") fail("policy must be ACCEPT or DROP", policyStart);
  const counters = readInlineCounters(input, policyEnd, end, fail);
  const existing = state.byName.get(name);
  if (existing !== undefined && existing.declared) {
    // A restore input may change the policy of a chain it declared: the last word wins, as in iptables.
    existing.policy = policy;
    if (counters !== null) existing.counters = counters;
  } else {
    declareChain(state, name, policy, counters, line, nameStart, fail);
  }
}

/** `-X NAME`, the chain name at `nameStart`. */
export function readDeletion(
  input: string,
  nameStart: number,
  nameEnd: number,
  end: number,
  line: number,
  state: TableState,
  fail: Fail,
): void {
  const name = input.slice(nameStart, nameEnd);
  checkChainName(name, nameStart, fail);
  expectLineEnd(input, nameEnd, end, fail);
  state.table.deletedChains.push(name);
  state.deletions.push({ chain: name, line });
}

/** Chain names as iptables accepts them; anything else here is a damaged line. */
export function checkChainName(name: string, at: number, fail: Fail): void {
  if (name.length > MAX_CHAIN_NAME) fail(`chain name longer than ${MAX_CHAIN_NAME} characters`, at);
  const first = name.charCodeAt(0);
  if (first === DASH || first === BANG) fail(`chain name "${clip(name)}" starts with ${name[0]}`, at);
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x21 || c === 0x7f || c === QUOTE) fail(`invalid character in chain name "${clip(name)}"`, at + k);
  }
}
