/**
 * Parser of `iptables-save [-c]` / `ip6tables-save [-c]` dumps, kube-proxy's `iptables-restore` inputs (including
 * partial syncs with `-X` deletions) and `iptables -S [-v]` listings.
 *
 * Grammar, line by line (as iptables-restore reads it, iptables/iptables-restore.c):
 *   `# …`                         comment (kept in `dump.comments`)
 *   `*TABLE`                      opens a table block; `COMMIT` closes it
 *   `:CHAIN POLICY [p:b]`         declares a chain; POLICY is `-` for user chains; the counters are optional
 *   `[p:b] -A CHAIN rule…`        a rule, with the counter prefix of `iptables-save -c`
 *   `-A CHAIN rule… [-c p b …]`   a rule; `-c` inline is how `iptables -S -v` prints counters
 *   `-N CHAIN`, `-P CHAIN POLICY [-c p b]`, `-X CHAIN`   listing / restore commands
 * Blank lines are skipped. A listing has no `*TABLE`/`COMMIT`: its rules belong to the caller's `defaultTable`.
 *
 * Errors are values: anything else is refused with the line, column and text where it was found. The parser never
 * throws; a last-resort guard turns an unexpected exception into an `internal error` value (the fuzz tests check
 * that none occurs).
 */
import { hasTab, newTokenizerContext, readNumber, tokenizeRuleInto, type TokenizerContext } from "./tokenize-rule";
import type {
  Chain,
  ChainDeletion,
  DumpFormat,
  IptablesDump,
  IptablesParseError,
  PacketCounters,
  ParseResult,
  Rule,
  SourceComment,
  Table,
} from "./types";

/** How to read an input that does not say it itself. */
export interface ParseOptions {
  /**
   * Table of an `iptables -S` listing (it has no `*table` header), e.g. `"nat"` for `iptables -t nat -S`. Giving it
   * allows a listing; without it, a rule outside a `*table` block is an error. Ignored when the input starts with a
   * `*table` line.
   */
  defaultTable?: string;
  /** Address family, when the caller knows it (ip6tables-save); otherwise guessed from addresses in the rules. */
  family?: "ipv4" | "ipv6";
  /**
   * False: read rule texts, counters and targets only — every rule is still checked as strictly (same errors), but
   * `options` and `matchModules` are left empty, which makes the parse about twice as cheap. For callers that only
   * digest and upload texts (capture uploads); the kube-proxy model needs the default, true. The family is then
   * known only from `options.family` or an `ip6tables-save` header.
   */
  ruleOptions?: boolean;
}

/** The tables iptables knows (the kernel refuses any other name, so another name means a damaged input). */
const KNOWN_TABLES = new Set(["filter", "nat", "mangle", "raw", "security"]);

/** `XT_EXTENSION_MAXNAMELEN - 1`: iptables refuses longer chain names. */
const MAX_CHAIN_NAME = 28;

const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const STAR = 42;
const DASH = 45;
const COLON = 58;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LEFT_BRACKET = 91;
const RIGHT_BRACKET = 93;
const BANG = 33;
const BYTE_ORDER_MARK = 0xfeff;

/** Longest offending line kept in an error. */
const ERROR_TEXT_MAX = 200;

/** Chains of one table while it is being read. */
interface TableState {
  table: Table;
  byName: Map<string, Chain>;
  /** Chains in declaration order. */
  declared: Chain[];
  /** Chains first met in a rule, in order of first use (some may be declared later). */
  undeclared: Chain[];
  deletions: ChainDeletion[];
}

/** Reports a problem at an offset of the current line; never returns. */
type Fail = (reason: string, at: number) => never;

/** Thrown inside the parser only, caught in parseIptablesSave: the public API returns it as a value. */
class ParseFailure {
  constructor(readonly error: IptablesParseError) {}
}

/**
 * Parses a whole input (see the module comment for the grammar).
 * Never throws: bad input gives `{ ok: false, error }` with the line, column and text of the first problem.
 */
export function parseIptablesSave(text: string, options: ParseOptions = {}): ParseResult {
  if (typeof text !== "string") {
    return { ok: false, error: makeError("input is not text", 1, 1, "") };
  }
  try {
    return { ok: true, dump: parseOrFail(text, options) };
  } catch (caught) {
    if (caught instanceof ParseFailure) return { ok: false, error: caught.error };
    const message = caught instanceof Error ? caught.message : String(caught);
    return { ok: false, error: makeError(`internal error: ${message}`, 1, 1, "") };
  }
}

function makeError(reason: string, line: number, column: number, text: string): IptablesParseError {
  return {
    kind: "iptables-parse-error",
    reason,
    line,
    column,
    text: text.length > ERROR_TEXT_MAX ? text.slice(0, ERROR_TEXT_MAX) : text,
  };
}

function parseOrFail(input: string, options: ParseOptions): IptablesDump {
  const format = detectFormat(input, options);
  const tables: Table[] = [];
  const comments: SourceComment[] = [];
  const seenTables = new Map<string, number>();
  let open: TableState | null = null;
  let sawIPv6 = false;
  const context = newTokenizerContext(input, options.ruleOptions ?? true);
  let lastChain: Chain | null = null;
  let lastChainTable: TableState | null = null;
  const tokens = context.tokens;

  // Position of the line being read, for errors.
  let lineNo = 0;
  let lineStart = 0;
  let lineEnd = 0;
  const fail: Fail = (reason, at) => {
    throw new ParseFailure(makeError(reason, lineNo, at - lineStart + 1, input.slice(lineStart, lineEnd)));
  };

  if (format === "listing") {
    const name = options.defaultTable as string;
    if (!KNOWN_TABLES.has(name)) {
      throw new ParseFailure(makeError(`unknown table "${name}" (defaultTable)`, 1, 1, ""));
    }
    open = newTableState(name, 1);
  }

  const length = input.length;
  // A byte-order mark (a dump saved by an editor) is not part of the first line.
  let pos = input.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  while (pos < length) {
    let eol = input.indexOf("\n", pos);
    if (eol < 0) eol = length;
    lineNo++;
    lineStart = pos;
    lineEnd = eol > pos && input.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    pos = eol + 1;

    const i = skipBlanks(input, lineStart, lineEnd);
    if (i >= lineEnd) continue;
    const c = input.charCodeAt(i);

    if (c === HASH) {
      comments.push({ line: lineNo, text: input.slice(lineStart, lineEnd) });
      // ip6tables-save signs its output; a dump without IPv6 addresses in rules is still IPv6 then.
      if (input.startsWith("# Generated by ip6tables-save", i)) sawIPv6 = true;
      continue;
    }

    if (c === STAR) {
      if (format === "listing") fail("table header in an iptables -S listing", i);
      if (open !== null) fail(`COMMIT missing for *${open.table.name} before a new table`, i);
      const nameEnd = wordEnd(input, i + 1, lineEnd);
      const name = input.slice(i + 1, nameEnd);
      if (name === "") fail("table name missing after *", i);
      if (!KNOWN_TABLES.has(name)) fail(`unknown table "${clip(name)}"`, i + 1);
      expectLineEnd(input, nameEnd, lineEnd, fail);
      const first = seenTables.get(name);
      if (first !== undefined) fail(`table ${name} declared twice (first at line ${first})`, i);
      seenTables.set(name, lineNo);
      open = newTableState(name, lineNo);
      continue;
    }

    if (c === 67 /* C */ && input.startsWith("COMMIT", i) && isWordEnd(input, i + 6, lineEnd)) {
      if (format === "listing") fail("COMMIT in an iptables -S listing", i);
      if (open === null) fail("COMMIT outside a table", i);
      expectLineEnd(input, i + 6, lineEnd, fail);
      open.table.committed = true;
      open.table.commitLine = lineNo;
      tables.push(finishTable(open));
      open = null;
      continue;
    }

    if (open === null) {
      fail(
        options.defaultTable === undefined && tables.length === 0
          ? "rule outside a table (an iptables -S listing needs defaultTable)"
          : "rule outside a table",
        i,
      );
    }
    const state = open;

    if (c === COLON) {
      readDeclaration(input, i, lineEnd, lineNo, state, fail);
      continue;
    }

    let ruleStart = i;
    let prefixCounters: PacketCounters | null = null;
    if (c === LEFT_BRACKET) {
      prefixCounters = readBracketCounters(input, i, lineEnd, fail);
      const afterCounters = input.indexOf("]", i) + 1;
      ruleStart = skipBlanks(input, afterCounters, lineEnd);
      if (ruleStart === afterCounters && ruleStart < lineEnd) fail("space expected after counters", ruleStart);
      if (!(input.startsWith("-A", ruleStart) && isWordEnd(input, ruleStart + 2, lineEnd))) {
        fail("-A expected after counters", ruleStart);
      }
    }

    if (input.charCodeAt(ruleStart) !== DASH || !isWordEnd(input, ruleStart + 2, lineEnd)) {
      fail(`unexpected text "${clip(input.slice(ruleStart, wordEnd(input, ruleStart, lineEnd)))}"`, ruleStart);
    }
    const command = input.charCodeAt(ruleStart + 1);
    const nameStart = skipBlanks(input, ruleStart + 2, lineEnd);
    const nameEnd = wordEnd(input, nameStart, lineEnd, context);
    switch (command) {
      case 65 /* A */: {
        if (nameStart === nameEnd) fail("-A without chain name", ruleStart);
        // Rules come grouped by chain: most lines name the chain of the line before, so skip the lookup then.
        let chain: Chain;
        if (
          lastChain !== null &&
          lastChainTable === state &&
          nameEnd - nameStart === lastChain.name.length &&
          input.startsWith(lastChain.name, nameStart)
        ) {
          chain = lastChain;
        } else {
          const chainName = input.slice(nameStart, nameEnd);
          chain = state.byName.get(chainName) ?? newUndeclaredChain(state, chainName, nameStart, lineNo, fail);
          lastChain = chain;
          lastChainTable = state;
        }
        // `text` is everything after `-A CHAIN ` (one separating blank), verbatim.
        const textStart = nameEnd < lineEnd ? nameEnd + 1 : lineEnd;
        if (!tokenizeRuleInto(context, textStart, lineEnd)) {
          fail(tokens.error as string, tokens.errorAt);
        }
        const cut = tokens.cutStart >= 0;
        if (cut && prefixCounters !== null) fail("counters given twice ([p:b] and -c)", tokens.cutStart);
        const rule: Rule = {
          chain: chain.name,
          text: cut
            ? input.slice(textStart, tokens.cutStart) + input.slice(tokens.cutEnd, lineEnd)
            : input.slice(textStart, lineEnd),
          counters: prefixCounters ?? (tokens.counters === null ? null : sharedCounters(tokens.counters)),
          line: lineNo,
          options: tokens.options,
          matchModules: tokens.matchModules,
          target: tokens.target,
          goto: tokens.goto,
        };
        if (cut) rule.countersOffset = tokens.cutStart - textStart;
        chain.rules.push(rule);
        break;
      }
      case 78 /* N */: {
        if (nameStart === nameEnd) fail("-N without chain name", ruleStart);
        const chainName = input.slice(nameStart, nameEnd);
        checkChainName(chainName, nameStart, fail);
        expectLineEnd(input, nameEnd, lineEnd, fail);
        declareChain(state, chainName, null, null, lineNo, nameStart, fail);
        break;
      }
      case 80 /* P */: {
        if (nameStart === nameEnd) fail("-P without chain name", ruleStart);
        const chainName = input.slice(nameStart, nameEnd);
        checkChainName(chainName, nameStart, fail);
        const policyStart = skipBlanks(input, nameEnd, lineEnd);
        const policyEnd = wordEnd(input, policyStart, lineEnd);
        const policy = input.slice(policyStart, policyEnd);
        if (policy !== "ACCEPT" && policy !== "DROP") fail("policy must be ACCEPT or DROP", policyStart);
        const counters = readInlineCounters(input, policyEnd, lineEnd, fail);
        const existing = state.byName.get(chainName);
        if (existing !== undefined && existing.declared) {
          // A restore input may change the policy of a chain it declared: the last word wins, as in iptables.
          existing.policy = policy;
          if (counters !== null) existing.counters = counters;
        } else {
          declareChain(state, chainName, policy, counters, lineNo, nameStart, fail);
        }
        break;
      }
      case 88 /* X */: {
        if (nameStart === nameEnd) fail("-X without chain name (deleting every chain is not supported)", ruleStart);
        const chainName = input.slice(nameStart, nameEnd);
        checkChainName(chainName, nameStart, fail);
        expectLineEnd(input, nameEnd, lineEnd, fail);
        state.table.deletedChains.push(chainName);
        state.deletions.push({ chain: chainName, line: lineNo });
        break;
      }
      default:
        fail(`unsupported command ${input.slice(ruleStart, Math.min(ruleStart + 2, lineEnd))}`, ruleStart);
    }
  }

  if (open !== null) {
    if (format === "listing") {
      tables.push(finishTable(open));
    } else {
      // Reported at the end of the last line: that is where COMMIT should have been.
      fail(`COMMIT missing at end of input for *${open.table.name} (opened at line ${open.table.line})`, lineEnd);
    }
  }

  const dump: IptablesDump = {
    format,
    family: options.family ?? (sawIPv6 || context.sawIPv6 ? "ipv6" : "ipv4"),
    tables,
  };
  if (comments.length > 0) dump.comments = comments;
  return dump;
}

/** "save" when the first significant line opens a table; "listing" when the caller named a default table. */
function detectFormat(input: string, options: ParseOptions): DumpFormat {
  if (options.defaultTable === undefined) return "save";
  let pos = input.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  while (pos < input.length) {
    let eol = input.indexOf("\n", pos);
    if (eol < 0) eol = input.length;
    const i = skipBlanks(input, pos, eol);
    const c = input.charCodeAt(i);
    if (i < eol && c !== HASH && c !== CR) return c === STAR ? "save" : "listing";
    pos = eol + 1;
  }
  return "listing";
}

function newTableState(name: string, line: number): TableState {
  return {
    table: { name, chains: [], deletedChains: [], committed: false, line },
    byName: new Map(),
    declared: [],
    undeclared: [],
    deletions: [],
  };
}

function finishTable(state: TableState): Table {
  const { table } = state;
  table.chains = state.declared;
  for (const chain of state.undeclared) if (!chain.declared) table.chains.push(chain);
  table.deletions = state.deletions;
  return table;
}

/** A chain first met in a rule (grep excerpts, partial listings): kept, marked undeclared. */
function newUndeclaredChain(state: TableState, name: string, at: number, line: number, fail: Fail): Chain {
  checkChainName(name, at, fail);
  const chain: Chain = { name, policy: null, counters: null, declared: false, line, rules: [] };
  state.byName.set(name, chain);
  state.undeclared.push(chain);
  return chain;
}

/**
 * `[0:0]` is the counter of most rules in a quiet table; one shared object stands for all of them (parsed dumps are
 * read-only, see tokenize-rule.ts).
 */
const ZERO_COUNTERS: PacketCounters = { packets: 0, bytes: 0 };

function sharedCounters(counters: PacketCounters): PacketCounters {
  return counters.packets === 0 && counters.bytes === 0 ? ZERO_COUNTERS : counters;
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
  const chain: Chain = { name, policy, counters, declared: true, line, rules: [] };
  state.byName.set(name, chain);
  state.declared.push(chain);
}

/** `:NAME POLICY [p:b]` */
function readDeclaration(
  input: string,
  i: number,
  lineEnd: number,
  lineNo: number,
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
  declareChain(state, name, policy === "-" ? null : policy, counters, lineNo, i, fail);
}

/** Reads `[p:b]` at `i` (it ends at the first `]`). */
function readBracketCounters(input: string, i: number, lineEnd: number, fail: Fail): PacketCounters {
  let j = i + 1;
  const packetsStart = j;
  while (j < lineEnd && isDigit(input.charCodeAt(j))) j++;
  if (j === packetsStart || j - packetsStart > 20 || input.charCodeAt(j) !== COLON) {
    fail("counters must be [packets:bytes] with numbers", i);
  }
  const packetsEnd = j;
  j++;
  const bytesStart = j;
  while (j < lineEnd && isDigit(input.charCodeAt(j))) j++;
  if (j === bytesStart || j - bytesStart > 20 || j >= lineEnd || input.charCodeAt(j) !== RIGHT_BRACKET) {
    fail("counters must be [packets:bytes] with numbers", i);
  }
  const packets = readNumber(input, packetsStart, packetsEnd);
  const bytes = readNumber(input, bytesStart, j);
  return packets === 0 && bytes === 0 ? ZERO_COUNTERS : { packets, bytes };
}

/** Optional `-c PKTS BYTES` at the end of a `-P` line (`iptables -S -v`). */
function readInlineCounters(
  input: string,
  i: number,
  lineEnd: number,
  fail: Fail,
): PacketCounters | null {
  const flagStart = skipBlanks(input, i, lineEnd);
  if (flagStart >= lineEnd) return null;
  if (!(input.startsWith("-c", flagStart) && isWordEnd(input, flagStart + 2, lineEnd))) {
    fail("-c PKTS BYTES or end of line expected", flagStart);
  }
  const values: number[] = [];
  let j = flagStart + 2;
  for (let k = 0; k < 2; k++) {
    const start = skipBlanks(input, j, lineEnd);
    j = wordEnd(input, start, lineEnd);
    if (start === j || j - start > 20) fail("-c needs packet and byte counts", flagStart);
    for (let d = start; d < j; d++) {
      if (!isDigit(input.charCodeAt(d))) fail("counters must be numbers", start);
    }
    values.push(readNumber(input, start, j));
  }
  expectLineEnd(input, j, lineEnd, fail);
  return { packets: values[0] as number, bytes: values[1] as number };
}

/** Chain names as iptables accepts them; anything else here is a damaged line. */
function checkChainName(name: string, at: number, fail: Fail): void {
  if (name.length > MAX_CHAIN_NAME) fail(`chain name longer than ${MAX_CHAIN_NAME} characters`, at);
  const first = name.charCodeAt(0);
  if (first === DASH || first === BANG) fail(`chain name "${clip(name)}" starts with ${name[0]}`, at);
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x21 || c === 0x7f || c === QUOTE) fail(`invalid character in chain name "${clip(name)}"`, at + k);
  }
}

function expectLineEnd(input: string, i: number, lineEnd: number, fail: Fail): void {
  const rest = skipBlanks(input, i, lineEnd);
  if (rest < lineEnd) fail(`unexpected text "${clip(input.slice(rest, lineEnd))}"`, rest);
}

function skipBlanks(input: string, i: number, end: number): number {
  while (i < end) {
    const c = input.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** End of the blank-delimited word starting at `i` (by native search when the line has no tab). */
function wordEnd(input: string, i: number, end: number, context?: TokenizerContext): number {
  if (context !== undefined && !hasTab(context, i, end)) {
    const blank = input.indexOf(" ", i);
    return blank < 0 || blank > end ? end : blank;
  }
  while (i < end) {
    const c = input.charCodeAt(i);
    if (c === SPACE || c === TAB) break;
    i++;
  }
  return i;
}

function isWordEnd(input: string, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = input.charCodeAt(i);
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
