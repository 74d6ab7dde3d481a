/**
 * Parses nftables rulesets: the listing `nft [-a] list table ip kube-proxy` / `nft list ruleset` prints, and the
 * `nft -f` command scripts kube-proxy writes (`add table`, `add chain`, `add rule`, `add set`, `add map`,
 * `add element`, `flush chain`, `delete chain`, …). Commands are applied in order, so the result is the state the
 * kernel would hold after loading the input.
 *
 * Ordering is forgiven where a partial input needs it (a rule or element for a chain or set declared later, or never,
 * gives an undeclared one), syntax is not: anything that is not nft is refused with its line and column.
 */
import { compact, createCursor, failAt, isSeparator, isSyntaxFailure, peek, skipSeparators, type NftCursor } from "./nft-cursor";
import type { RulesetState } from "./nft-ruleset-state";
import { parseCommand } from "./parse-nft-command";
import { parseTableBlock } from "./parse-nft-table";
import { scanNft } from "./tokenize-nft";
import type { NftParseError, NftParseResult } from "./types";

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
