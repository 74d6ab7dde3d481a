/**
 * `table [family] NAME { … }` blocks of a listing (and of `add table … { … }`): comment, flags, sets, maps, chains
 * and stateful objects, kept as text.
 */
import { parseChainBody, parseSetBody } from "./nft-blocks";
import {
  compact,
  expectPunct,
  failAt,
  isPunct,
  joinTokens,
  lastToken,
  peek,
  readBraced,
  readHeader,
  readStatement,
  skipSeparators,
  takeHandle,
  type NftCursor,
} from "./nft-cursor";
import { chainOf, setOf, splitTableRef, tableState, type RulesetState, type TableState } from "./nft-ruleset-state";
import type { NftToken } from "./tokenize-nft";

/** Stateful objects and flowtables: kept as text, never interpreted. `ct` objects have a second keyword. */
const OBJECT_KINDS = new Set(["counter", "quota", "limit", "secmark", "synproxy", "flowtable", "ct"]);
export function parseTableBody(cursor: NftCursor, entry: TableState): void {
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
export function parseTableBlock(cursor: NftCursor, state: RulesetState, at: NftToken): void {
  const header = readHeader(cursor);
  const { family, table, rest } = splitTableRef(header, 0, at);
  if (rest.length > 0) failAt(`unexpected '${rest[0]!.text}' after table name`, rest[0]);
  expectPunct(cursor, "{", "after the table name");
  const entry = tableState(state, family, table, at.line, true);
  entry.table.handle = takeHandle(cursor) ?? entry.table.handle;
  parseTableBody(cursor, entry);
  state.sawListing = true;
}
