/**
 * The commands of an `nft -f` script: `add|create|insert|replace|flush|delete|destroy` of tables, chains, sets, maps,
 * elements and rules, applied in order to the tables being built, as nft would apply them.
 */
import { addElements, buildRule, deleteElements, parseChainBody, parseSetBody, readElementBlock } from "./nft-blocks";
import { expectPunct, failAt, isPunct, next, peek, readHeader, readStatement, type NftCursor } from "./nft-cursor";
import {
  chainOf,
  FAMILIES,
  removeChain,
  removeSet,
  requireTable,
  setOf,
  splitTableRef,
  tableState,
  type RulesetState,
} from "./nft-ruleset-state";
import { parseTableBody } from "./parse-nft-table";
import type { NftToken } from "./tokenize-nft";

/** A trailing `handle N` of `delete chain|set|map|rule … handle N`, or null. */
function handleRef(rest: readonly NftToken[]): number | null {
  return rest.length === 2 && rest[0]!.value === "handle" && /^\d+$/.test(rest[1]!.value) ? Number(rest[1]!.value) : null;
}

/** `add|create|insert|replace|flush|delete|destroy OBJECT …` of a script. */
export function parseCommand(cursor: NftCursor, state: RulesetState, verb: NftToken): void {
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
