/**
 * Parses nftables rulesets: the listing `nft [-a] list table ip kube-proxy` / `nft list ruleset` prints, and the
 * `nft -f` command scripts kube-proxy writes (`add table`, `add chain`, `add rule`, `add set`, `add map`,
 * `add element`, `flush chain`, `delete chain`, …). Commands are applied in order, so the result is the state the
 * kernel would hold after loading the input.
 *
 * Ordering is forgiven where a partial input needs it (a rule or element for a chain or set declared later, or never,
 * gives an undeclared one), syntax is not: anything that is not nft is refused with its line and column.
 */
import { addElements, buildRule, deleteElements, parseChainBody, parseSetBody, readElementBlock } from "./nft-blocks";
import {
  compact,
  createCursor,
  expectPunct,
  failAt,
  isPunct,
  isSeparator,
  isSyntaxFailure,
  joinTokens,
  lastToken,
  next,
  peek,
  readBraced,
  readHeader,
  readStatement,
  skipSeparators,
  takeHandle,
  type NftCursor,
} from "./nft-cursor";
import { scanNft, type NftToken } from "./tokenize-nft";
import type { NftChain, NftFamily, NftParseError, NftParseResult, NftSet, NftTable } from "./types";

const FAMILIES = new Set<string>(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);
/** Stateful objects and flowtables: kept as text, never interpreted. `ct` objects have a second keyword. */
const OBJECT_KINDS = new Set(["counter", "quota", "limit", "secmark", "synproxy", "flowtable", "ct"]);

/** The tables being built, with name indexes the output does not carry. */
interface RulesetState {
  tables: Map<string, TableState>;
  sawListing: boolean;
  sawScript: boolean;
}

interface TableState {
  table: NftTable;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

function tableState(state: RulesetState, family: NftFamily, name: string, line: number, declare: boolean): TableState {
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

function chainOf(entry: TableState, name: string, line: number, declare: boolean): NftChain {
  let chain = entry.chains.get(name);
  if (!chain) {
    chain = { name, hook: null, comment: null, rules: [], declared: declare, handle: null, line };
    entry.chains.set(name, chain);
    entry.table.chains.push(chain);
  }
  if (declare) chain.declared = true;
  return chain;
}

function setOf(entry: TableState, name: string, kind: "set" | "map", line: number, declare: boolean): NftSet {
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
function splitTableRef(words: readonly NftToken[], names: number, at: NftToken): { family: NftFamily; table: string; rest: NftToken[] } {
  const hasFamily = words.length > names + 1 && FAMILIES.has(words[0]!.value);
  const family = (hasFamily ? words[0]!.value : "ip") as NftFamily;
  const refs = words.slice(hasFamily ? 1 : 0);
  if (refs.length < names + 1) failAt("table name expected", words[words.length - 1] ?? at);
  return { family, table: refs[0]!.value, rest: refs.slice(1) };
}

function parseTableBody(cursor: NftCursor, entry: TableState): void {
  const { table } = entry;
  for (;;) {
    compact(cursor);
    skipSeparators(cursor);
    const token = peek(cursor);
    if (token === undefined) failAt(`'}' missing at the end of table ${table.name}`, lastToken(cursor));
    if (isPunct(token, "}")) {
      cursor.pos++;
      return;
    }
    const head = token.kind === "word" ? token.value : "";
    if (head === "comment" || head === "flags") {
      const { tokens } = readStatement(cursor);
      if (head === "comment") {
        const value = tokens[1];
        if (tokens.length !== 2 || value?.kind !== "string") failAt("string expected after 'comment'", value ?? token);
        table.comment = value.value;
      } else {
        table.flags = tokens.slice(1).filter((t) => !isPunct(t, ",")).flatMap((t) => t.value.split(",")).filter(Boolean);
      }
      continue;
    }
    if (head !== "chain" && head !== "set" && head !== "map" && !OBJECT_KINDS.has(head)) {
      failAt(`unexpected '${token.text}' in table ${table.name}`, token);
    }
    cursor.pos++;
    const header = readHeader(cursor);
    const open = expectPunct(cursor, "{", `after '${head} ${joinTokens(header)}'`);
    const handle = takeHandle(cursor);
    if ((head === "chain" || head === "set" || head === "map") && header.length === 1) {
      const name = header[0]!.value;
      if (head === "chain") {
        const chain = chainOf(entry, name, token.line, true);
        chain.handle = handle;
        parseChainBody(cursor, chain, table.family);
      } else {
        const set = setOf(entry, name, head, token.line, true);
        set.handle = handle;
        parseSetBody(cursor, set);
      }
    } else if (OBJECT_KINDS.has(head) && header.length >= 1) {
      const kind = head === "ct" ? `ct ${header[0]!.value}` : head;
      const name = header[header.length - 1]!.value;
      table.objects.push({ kind, name, text: joinTokens(readBraced(cursor, open)), line: token.line });
    } else {
      failAt(`unexpected '${token.text}' in table ${table.name}`, token);
    }
  }
}

/** `table [family] NAME { … }` of a listing. */
function parseTableBlock(cursor: NftCursor, state: RulesetState, at: NftToken): void {
  const header = readHeader(cursor);
  const { family, table, rest } = splitTableRef(header, 0, at);
  if (rest.length > 0) failAt(`unexpected '${rest[0]!.text}' after table name`, rest[0]);
  expectPunct(cursor, "{", "after the table name");
  const entry = tableState(state, family, table, at.line, true);
  entry.table.handle = takeHandle(cursor) ?? entry.table.handle;
  parseTableBody(cursor, entry);
  state.sawListing = true;
}

function requireTable(state: RulesetState, family: NftFamily, name: string, at: NftToken): TableState {
  const entry = state.tables.get(`${family} ${name}`);
  if (!entry) failAt(`table ${family} ${name} does not exist`, at);
  return entry;
}

/** A trailing `handle N` of `delete chain|set|map|rule … handle N`, or null. */
function handleRef(rest: readonly NftToken[]): number | null {
  return rest.length === 2 && rest[0]!.value === "handle" && /^\d+$/.test(rest[1]!.value) ? Number(rest[1]!.value) : null;
}

function removeChain(entry: TableState, chain: NftChain): void {
  entry.chains.delete(chain.name);
  entry.table.chains = entry.table.chains.filter((c) => c !== chain);
}

function removeSet(entry: TableState, set: NftSet): void {
  entry.sets.delete(set.name);
  entry.table.sets = entry.table.sets.filter((s) => s !== set);
}

/** `add|create|insert|replace|flush|delete|destroy OBJECT …` of a script. */
function parseCommand(cursor: NftCursor, state: RulesetState, verb: NftToken): void {
  state.sawScript = true;
  const objectToken = peek(cursor);
  if (objectToken?.kind !== "word") failAt(`object expected after '${verb.value}'`, objectToken ?? verb);
  cursor.pos++;
  const object = objectToken.value;
  const action = verb.value;
  const adds = action === "add" || action === "create";
  const deletes = action === "delete" || action === "destroy";

  if (object === "ruleset" && action === "flush") {
    state.tables.clear();
    return;
  }
  if (object === "rule" && (adds || action === "insert" || action === "replace" || deletes)) {
    const words: NftToken[] = [];
    // The table and chain names: two or three words before the rule itself.
    for (let i = 0; i < 3 && peek(cursor)?.kind === "word"; i++) words.push(next(cursor)!);
    const named = words.length === 3 && FAMILIES.has(words[0]!.value) ? 3 : 2;
    cursor.pos -= words.length - named;
    const { family, table, rest } = splitTableRef(words.slice(0, named), 1, objectToken);
    const entry = requireTable(state, family, table, objectToken);
    const { tokens, handle } = readStatement(cursor);
    const chain = chainOf(entry, rest[0]!.value, objectToken.line, false);
    const target = handleRef(tokens.slice(0, 2));
    if (deletes || action === "replace") {
      const at = target === null ? -1 : chain.rules.findIndex((r) => r.handle === target);
      if (at < 0 && action !== "destroy") failAt(`${action} rule needs 'handle N' of an existing rule`, tokens[0] ?? objectToken);
      if (at >= 0 && deletes) chain.rules.splice(at, 1);
      if (at >= 0 && action === "replace") chain.rules[at] = buildRule(chain.name, tokens.slice(2), target);
      return;
    }
    if (["position", "index", "handle"].includes(tokens[0]?.value ?? "")) failAt(`rule placement by '${tokens[0]!.value}' is not supported`, tokens[0]);
    const rule = buildRule(chain.name, tokens, handle);
    if (action === "insert") chain.rules.unshift(rule);
    else chain.rules.push(rule);
    return;
  }

  const header = readHeader(cursor);
  if (object === "table") {
    const { family, table, rest } = splitTableRef(header, 0, objectToken);
    if (rest.length > 0) failAt(`unexpected '${rest[0]!.text}' after table name`, rest[0]);
    const existing = state.tables.get(`${family} ${table}`);
    if (adds) {
      if (existing?.table.declared && action === "create") failAt(`table ${family} ${table} already exists`, objectToken);
      const entry = tableState(state, family, table, objectToken.line, true);
      if (isPunct(peek(cursor), "{")) {
        cursor.pos++;
        parseTableBody(cursor, entry);
      }
    } else if (action === "flush" && existing) {
      // `flush table` removes every rule of every chain and keeps sets and their elements (checked with nft 1.0.6).
      for (const chain of existing.table.chains) chain.rules = [];
    } else if (deletes && existing) {
      state.tables.delete(`${family} ${table}`);
    } else if (action !== "destroy") {
      failAt(existing ? `'${action} table' is not supported` : `table ${family} ${table} does not exist`, objectToken);
    }
    return;
  }
  if (object !== "chain" && object !== "set" && object !== "map" && object !== "element") {
    failAt(`'${action} ${object}' is not supported`, objectToken);
  }
  const { family, table, rest } = splitTableRef(header, 1, objectToken);
  const entry = requireTable(state, family, table, objectToken);
  const byHandle = handleRef(rest);
  if (byHandle === null && rest.length !== 1) failAt(`one ${object} name expected`, rest[1] ?? objectToken);
  const name = rest[0]!.value;

  if (object === "element") {
    if (!adds && !deletes) failAt(`'${action} element' is not supported`, verb);
    const elements = readElementBlock(cursor, "before the elements");
    const known = entry.sets.get(name);
    if (deletes && !known) {
      if (action === "destroy") return;
      failAt(`set ${name} does not exist`, objectToken);
    }
    const set = known ?? setOf(entry, name, elements.some((e) => e.value !== null) ? "map" : "set", objectToken.line, false);
    if (adds) addElements(set, elements);
    else deleteElements(set, new Set(elements.map((e) => e.key)));
    return;
  }

  if (object === "chain") {
    const chain = byHandle === null ? entry.chains.get(name) : entry.table.chains.find((c) => c.handle === byHandle);
    if (adds) {
      if (chain?.declared && action === "create") failAt(`chain ${name} already exists`, objectToken);
      const declared = chainOf(entry, name, objectToken.line, true);
      if (isPunct(peek(cursor), "{")) {
        cursor.pos++;
        parseChainBody(cursor, declared, family);
      }
    } else if (action === "flush" && chain) {
      chain.rules = [];
    } else if (deletes && chain) {
      removeChain(entry, chain);
    } else if (action !== "destroy") {
      failAt(chain ? `'${action} chain' is not supported` : `chain ${name} does not exist`, objectToken);
    }
    return;
  }

  const set = byHandle === null ? entry.sets.get(name) : entry.table.sets.find((s) => s.handle === byHandle);
  if (adds) {
    if (set?.declared && action === "create") failAt(`${object} ${name} already exists`, objectToken);
    const declared = setOf(entry, name, object, objectToken.line, true);
    expectPunct(cursor, "{", `after '${action} ${object} ${name}'`);
    parseSetBody(cursor, declared);
  } else if (action === "flush" && set) {
    set.elements = [];
  } else if (deletes && set) {
    removeSet(entry, set);
  } else if (action !== "destroy") {
    failAt(set ? `'${action} ${object}' is not supported` : `${object} ${name} does not exist`, objectToken);
  }
}

const VERBS = new Set(["add", "create", "insert", "replace", "flush", "delete", "destroy"]);

function parseTopLevel(cursor: NftCursor, state: RulesetState): void {
  for (;;) {
    skipSeparators(cursor);
    const token = peek(cursor);
    if (token === undefined) return;
    if (token.kind !== "word") failAt(`unexpected '${token.text}'`, token);
    cursor.pos++;
    if (token.value === "table") parseTableBlock(cursor, state, token);
    else if (VERBS.has(token.value)) parseCommand(cursor, state, token);
    else failAt(`unknown command '${token.text}'`, token);
    const end = peek(cursor);
    if (end !== undefined && !isSeparator(end)) failAt(`unexpected '${end.text}' after the command`, end);
    compact(cursor);
  }
}

function errorAt(source: string, reason: string, line: number, column: number): NftParseError {
  const text = (source.split("\n", line)[line - 1] ?? "").replace(/\r$/, "").slice(0, 200);
  return { kind: "nft-parse-error", reason, line, column, text };
}

/** Parses a listing or a script. Never throws: bad input gives `{ ok: false, error }` with its position. */
export function parseNftRuleset(source: string): NftParseResult {
  const state: RulesetState = { tables: new Map(), sawListing: false, sawScript: false };
  const cursor = createCursor(scanNft(source));
  try {
    parseTopLevel(cursor, state);
  } catch (failure) {
    if (isSyntaxFailure(failure)) return { ok: false, error: errorAt(source, failure.reason, failure.line, failure.column) };
    const at = cursor.tokens[cursor.pos] ?? cursor.last;
    return { ok: false, error: errorAt(source, `internal parser error: ${String(failure)}`, at?.line ?? 1, at?.column ?? 1) };
  }
  const form = state.sawListing && state.sawScript ? "mixed" : state.sawScript ? "script" : "listing";
  return { ok: true, ruleset: { form, tables: [...state.tables.values()].map((entry) => entry.table) } };
}
