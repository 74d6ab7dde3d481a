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
import * as fields from "./line-fields";
import type { Fail } from "./line-fields";
import * as chains from "./table-chains";
import type { TableState } from "./table-chains";
import * as tokenizer from "./tokenize-rule";
import type { TokenizerContext } from "./tokenize-rule";
import type {
  Chain,
  DumpFormat,
  IptablesDump,
  IptablesParseError,
  PacketCounters,
  ParseResult,
  Rule,
  SourceComment,
  Table,
} from "./types";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { clip, expectLineEnd, isWordEnd, readBracketCounters, sharedCounters, skipBlanks, wordEnd } = fields;
const { KNOWN_TABLES, finishTable, newTableState, newUndeclaredChain, readDeclaration, readDeletion, readNewChain, readPolicy } =
  chains;
const { newTokenizerContext, tokenTarget, tokenizeRuleInto } = tokenizer;

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
   * digest and upload texts (capture uploads) and for the kube-proxy model, which reads rule texts itself. The
   * family is found from the rules' addresses in both modes.
   */
  ruleOptions?: boolean;
}

const CR = 13;
const HASH = 35;
const STAR = 42;
const DASH = 45;
const COLON = 58;
const LEFT_BRACKET = 91;
const BYTE_ORDER_MARK = 0xfeff;

/** Longest offending line kept in an error. */
const ERROR_TEXT_MAX = 200;

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

/** One parse: where it is in the input, and what it has built so far. */
interface Reader {
  input: string;
  format: DumpFormat;
  tables: Table[];
  comments: SourceComment[];
  /** Line of each `*table` header seen, to refuse a table declared twice. */
  seenTables: Map<string, number>;
  /** The table being read (a listing's implied table is open from the start). */
  open: TableState | null;
  sawIPv6: boolean;
  context: TokenizerContext;
  /** Chain of the previous rule: rules come grouped by chain, so most lines need no lookup. */
  lastChain: Chain | null;
  /**
   * Where the previous rule's line named that chain. A rule's chain name is compared with it there, in the input
   * just read, rather than with the chain's own name: that string lies with the declarations, megabytes away, and
   * reading it costs a cache miss per line.
   */
  lastChainAt: number;
  lastChainLength: number;
  line: number;
  lineStart: number;
  lineEnd: number;
  fail: Fail;
}

function parseOrFail(input: string, options: ParseOptions): IptablesDump {
  const reader: Reader = {
    input,
    format: detectFormat(input, options),
    tables: [],
    comments: [],
    seenTables: new Map(),
    open: null,
    sawIPv6: false,
    context: newTokenizerContext(input, options.ruleOptions ?? true),
    lastChain: null,
    lastChainAt: 0,
    lastChainLength: 0,
    line: 0,
    lineStart: 0,
    lineEnd: 0,
    fail: (reason, at) => {
      throw new ParseFailure(
        makeError(reason, reader.line, at - reader.lineStart + 1, input.slice(reader.lineStart, reader.lineEnd)),
      );
    },
  };
  if (reader.format === "listing") {
    const name = options.defaultTable as string;
    if (!KNOWN_TABLES.has(name)) {
      throw new ParseFailure(makeError(`unknown table "${name}" (defaultTable)`, 1, 1, ""));
    }
    reader.open = newTableState(name, 1);
  }

  const length = input.length;
  // A byte-order mark (a dump saved by an editor) is not part of the first line.
  let pos = input.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  while (pos < length) {
    let eol = input.indexOf("\n", pos);
    if (eol < 0) eol = length;
    reader.line++;
    reader.lineStart = pos;
    reader.lineEnd = eol > pos && input.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    pos = eol + 1;
    readLine(reader, options);
  }

  const { open, fail } = reader;
  if (open !== null) {
    if (reader.format === "listing") {
      reader.tables.push(finishTable(open));
    } else {
      // Reported at the end of the last line: that is where COMMIT should have been.
      fail(`COMMIT missing at end of input for *${open.table.name} (opened at line ${open.table.line})`, reader.lineEnd);
    }
  }
  const dump: IptablesDump = {
    format: reader.format,
    family: options.family ?? (reader.sawIPv6 || reader.context.sawIPv6 ? "ipv6" : "ipv4"),
    tables: reader.tables,
  };
  if (reader.comments.length > 0) dump.comments = reader.comments;
  return dump;
}

function readLine(reader: Reader, options: ParseOptions): void {
  const { input, lineEnd, fail } = reader;
  const i = skipBlanks(input, reader.lineStart, lineEnd);
  if (i >= lineEnd) return;
  const c = input.charCodeAt(i);
  if (c === HASH) {
    reader.comments.push({ line: reader.line, text: input.slice(reader.lineStart, lineEnd) });
    // ip6tables-save signs its output; a dump without IPv6 addresses in rules is still IPv6 then.
    if (input.startsWith("# Generated by ip6tables-save", i)) reader.sawIPv6 = true;
    return;
  }
  if (c === STAR) return readTableHeader(reader, i);
  if (c === 67 /* C */ && input.startsWith("COMMIT", i) && isWordEnd(input, i + 6, lineEnd)) {
    return readCommit(reader, i);
  }
  const state = reader.open;
  if (state === null) {
    return fail(
      options.defaultTable === undefined && reader.tables.length === 0
        ? "rule outside a table (an iptables -S listing needs defaultTable)"
        : "rule outside a table",
      i,
    );
  }
  if (c === COLON) return readDeclaration(input, i, lineEnd, reader.line, state, fail);
  readCommand(reader, state, i);
}

/** `*TABLE` */
function readTableHeader(reader: Reader, i: number): void {
  const { input, lineEnd, fail } = reader;
  if (reader.format === "listing") fail("table header in an iptables -S listing", i);
  if (reader.open !== null) fail(`COMMIT missing for *${reader.open.table.name} before a new table`, i);
  const nameEnd = wordEnd(input, i + 1, lineEnd);
  const name = input.slice(i + 1, nameEnd);
  if (name === "") fail("table name missing after *", i);
  if (!KNOWN_TABLES.has(name)) fail(`unknown table "${clip(name)}"`, i + 1);
  expectLineEnd(input, nameEnd, lineEnd, fail);
  const first = reader.seenTables.get(name);
  if (first !== undefined) fail(`table ${name} declared twice (first at line ${first})`, i);
  reader.seenTables.set(name, reader.line);
  reader.open = newTableState(name, reader.line);
  reader.lastChain = null;
}

function readCommit(reader: Reader, i: number): void {
  const { open, fail } = reader;
  if (reader.format === "listing") fail("COMMIT in an iptables -S listing", i);
  if (open === null) return fail("COMMIT outside a table", i);
  expectLineEnd(reader.input, i + 6, reader.lineEnd, fail);
  open.table.committed = true;
  open.table.commitLine = reader.line;
  reader.tables.push(finishTable(open));
  reader.open = null;
  reader.lastChain = null;
}

/** `[p:b] -A …`, `-A …`, `-N …`, `-P …`, `-X …` */
function readCommand(reader: Reader, state: TableState, i: number): void {
  const { input, lineEnd, fail } = reader;
  let commandStart = i;
  let prefixCounters: PacketCounters | null = null;
  if (input.charCodeAt(i) === LEFT_BRACKET) {
    prefixCounters = readBracketCounters(input, i, lineEnd, fail);
    const countersEnd = input.indexOf("]", i) + 1;
    commandStart = skipBlanks(input, countersEnd, lineEnd);
    if (commandStart === countersEnd && commandStart < lineEnd) fail("space expected after counters", commandStart);
    if (!(input.startsWith("-A", commandStart) && isWordEnd(input, commandStart + 2, lineEnd))) {
      fail("-A expected after counters", commandStart);
    }
  }
  if (input.charCodeAt(commandStart) !== DASH || !isWordEnd(input, commandStart + 2, lineEnd)) {
    fail(`unexpected text "${clip(input.slice(commandStart, wordEnd(input, commandStart, lineEnd)))}"`, commandStart);
  }
  const command = input.charCodeAt(commandStart + 1);
  const nameStart = skipBlanks(input, commandStart + 2, lineEnd);
  const nameEnd = wordEnd(input, nameStart, lineEnd, reader.context);
  if (command !== 65 && command !== 78 && command !== 80 && command !== 88) {
    fail(`unsupported command ${input.slice(commandStart, Math.min(commandStart + 2, lineEnd))}`, commandStart);
  }
  if (nameStart === nameEnd) {
    const what = input.slice(commandStart, commandStart + 2);
    fail(
      command === 88 ? "-X without chain name (deleting every chain is not supported)" : `${what} without chain name`,
      commandStart,
    );
  }
  switch (command) {
    case 65 /* A */:
      return readRule(reader, state, nameStart, nameEnd, prefixCounters);
    case 78 /* N */:
      return readNewChain(input, nameStart, nameEnd, lineEnd, reader.line, state, fail);
    case 80 /* P */:
      return readPolicy(input, nameStart, nameEnd, lineEnd, reader.line, state, fail);
    default /* X */:
      return readDeletion(input, nameStart, nameEnd, lineEnd, reader.line, state, fail);
  }
}

/** `-A CHAIN text`, the chain name at `nameStart`. */
function readRule(
  reader: Reader,
  state: TableState,
  nameStart: number,
  nameEnd: number,
  prefixCounters: PacketCounters | null,
): void {
  const { input, lineEnd, fail, context } = reader;
  let chain = reader.lastChain;
  if (chain === null || !sameWord(input, reader.lastChainAt, reader.lastChainLength, nameStart, nameEnd - nameStart)) {
    chain = declaredNext(input, state, nameStart, nameEnd);
    if (chain === null) {
      const name = input.slice(nameStart, nameEnd);
      chain = state.byName.get(name) ?? newUndeclaredChain(state, name, nameStart, reader.line, fail);
      followDeclared(state, chain);
    }
    reader.lastChain = chain;
  }
  reader.lastChainAt = nameStart;
  reader.lastChainLength = nameEnd - nameStart;
  // `text` is everything after `-A CHAIN ` (one separating blank), verbatim.
  const textStart = nameEnd < lineEnd ? nameEnd + 1 : lineEnd;
  const tokens = context.tokens;
  if (!tokenizeRuleInto(context, textStart, lineEnd)) fail(tokens.error as string, tokens.errorAt);
  const cut = tokens.cutStart >= 0;
  if (cut && prefixCounters !== null) fail("counters given twice ([p:b] and -c)", tokens.cutStart);
  const rule: Rule = {
    chain: chain.name,
    text: cut
      ? input.slice(textStart, tokens.cutStart) + input.slice(tokens.cutEnd, lineEnd)
      : input.slice(textStart, lineEnd),
    counters: prefixCounters ?? (tokens.counters === null ? null : sharedCounters(tokens.counters)),
    line: reader.line,
    options: tokens.options,
    matchModules: tokens.matchModules,
    target: readTarget(reader, state),
    goto: tokens.goto,
  };
  if (cut) rule.countersOffset = tokens.cutStart - textStart;
  // A pushed-to array gets room for 17 elements, but most chains of a large node hold one or two rules (every
  // endpoint chain): their arrays are made to size, ~120 bytes less per chain (6 MB on a 10k-service node).
  const rules = chain.rules;
  if (rules.length === 0) chain.rules = [rule];
  else if (rules.length === 1) chain.rules = [rules[0]!, rule];
  else rules.push(rule);
}

/**
 * The chain named at `input[nameStart, nameEnd)` when it is one of the two declared after the last chain found this
 * way, else null. kube-proxy writes the rules of a service's chains in the order it declared them (KUBE-SVC, then
 * each KUBE-SEP), so most rule groups open the next chain: a comparison with names read in declaration order, where a
 * map lookup reaches for a name anywhere among the declarations.
 */
function declaredNext(input: string, state: TableState, nameStart: number, nameEnd: number): Chain | null {
  const { declared } = state;
  const length = nameEnd - nameStart;
  for (let k = state.nextDeclared; k < state.nextDeclared + 2 && k < declared.length; k++) {
    const name = declared[k]!.name;
    if (name.length === length && input.startsWith(name, nameStart)) {
      state.nextDeclared = k + 1;
      return declared[k]!;
    }
  }
  return null;
}

/** The target of the rule just tokenized: a kube-proxy chain's as its declared name when it is found where expected. */
function readTarget(reader: Reader, state: TableState): string | null {
  const { input, context } = reader;
  const { targetStart, targetEnd } = context.tokens;
  if (targetStart >= 0 && targetEnd - targetStart > 5 && input.startsWith("KUBE-", targetStart)) {
    const declared = declaredTarget(input, state, targetStart, targetEnd);
    if (declared !== null) return declared;
  }
  return tokenTarget(context);
}

/**
 * The name of the chain a rule jumps to, as the very string the chain was declared with, when it is one of the chains
 * declared where kube-proxy's targets usually are (after the last target found this way, or right after the rule's
 * own chain: a KUBE-SVC's rungs jump to the KUBE-SEP chains declared after it); else null, and the rule keeps the
 * target it was read with, an equal string. Sharing the declared string costs a comparison here, where the target
 * was just read, and saves a comparison of two distinct strings each time a reader of the dump looks the target up.
 */
function declaredTarget(input: string, state: TableState, start: number, end: number): string | null {
  const { declared } = state;
  const length = end - start;
  for (let guess = 0; guess < 3; guess++) {
    const k = guess === 0 ? state.nextTarget : state.nextDeclared + guess - 1;
    if (k >= declared.length) continue;
    const name = declared[k]!.name;
    if (name.length === length && input.startsWith(name, start)) {
      state.nextTarget = k + 1;
      return name;
    }
  }
  return null;
}

/**
 * Moves the guess of {@link declaredNext} after `chain` when it was declared near the guess (a service's KUBE-EXT
 * rules come between its KUBE-SVC's first rules and the rest), so the groups that follow are guessed again.
 */
function followDeclared(state: TableState, chain: Chain): void {
  const { declared } = state;
  const from = Math.max(0, state.nextDeclared - 4);
  const to = Math.min(declared.length, state.nextDeclared + 8);
  for (let k = from; k < to; k++) {
    if (declared[k] === chain) {
      state.nextDeclared = k + 1;
      return;
    }
  }
}

/** True when the word of `aLength` characters at `a` in `input` is the one of `bLength` at `b`. */
function sameWord(input: string, a: number, aLength: number, b: number, bLength: number): boolean {
  if (aLength !== bLength) return false;
  // From the end: kube-proxy's chain names share their prefix and differ in the hash that ends them.
  for (let i = aLength - 1; i >= 0; i--) {
    if (input.charCodeAt(a + i) !== input.charCodeAt(b + i)) return false;
  }
  return true;
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
