/**
 * Writes a parsed dump back as text: `iptables-save` form for "save" dumps, `iptables -S` form for listings.
 *
 * A dump straight from the parser comes back byte for byte (rule texts are kept verbatim and every line's place is
 * known from its line number), except for what the parser drops on purpose: blank lines, leading blanks, `\r` of
 * CRLF input, `-N`/`-P` commands inside a `*table` block (written back as `:CHAIN` declarations) and `:CHAIN`
 * declarations inside a listing (written back as `-N`/`-P`).
 */
import type { Chain, IptablesDump, PacketCounters, Rule, Table } from "./types";

export interface SerializeOptions {
  /**
   * True (default): write the counters the dump holds (`[p:b]` prefixes, inline `-c`, chain counters).
   * False: no rule counters at all, and `[0:0]` on declarations that carried counters — the normalized form.
   */
  counters?: boolean;
  /**
   * "input" (default): lines in the order of the input they were parsed from (by line number), comments included.
   * "canonical": iptables-save's own order — declarations, then rules chain by chain, then deletions; no comments.
   */
  order?: "input" | "canonical";
}

/** One output line with the key that places it. */
interface Placed {
  line: number;
  text: string;
}

/** Serializes a dump (see the module comment); the text ends with a newline unless it is empty. */
export function serializeIptablesSave(dump: IptablesDump, options: SerializeOptions = {}): string {
  const withCounters = options.counters ?? true;
  const placed: Placed[] = [];
  for (const table of dump.tables) {
    if (dump.format === "save") placeSaveTable(table, withCounters, placed);
    else placeListingTable(table, withCounters, placed);
  }
  if (options.order === "canonical") {
    // Generation order is already iptables-save's order; listings have no comments to drop either.
    return joinLines(placed.map((p) => p.text));
  }
  for (const comment of dump.comments ?? []) placed.push({ line: comment.line, text: comment.text });
  // A stable sort: lines that share a number (hand-built dumps) keep generation order.
  const order = placed.map((_, index) => index);
  order.sort((a, b) => (placed[a] as Placed).line - (placed[b] as Placed).line || a - b);
  return joinLines(order.map((index) => (placed[index] as Placed).text));
}

/** One rule as its input line: `[p:b] -A CHAIN text` (save) or `-A CHAIN text` with inline `-c` (listing). */
export function serializeRule(rule: Rule, format: IptablesDump["format"], withCounters = true): string {
  const counters = withCounters ? rule.counters : null;
  let text = rule.text;
  if (counters !== null && (format === "listing" || rule.countersOffset !== undefined)) {
    text = insertInlineCounters(text, counters, rule.countersOffset ?? targetOffset(text));
  }
  const line = text === "" ? `-A ${rule.chain}` : `-A ${rule.chain} ${text}`;
  return counters !== null && format === "save" && rule.countersOffset === undefined
    ? `${bracket(counters)} ${line}`
    : line;
}

function placeSaveTable(table: Table, withCounters: boolean, placed: Placed[]): void {
  placed.push({ line: table.line, text: `*${table.name}` });
  let lastLine = table.line;
  for (const chain of table.chains) {
    if (!chain.declared) continue;
    placed.push({ line: chain.line, text: saveDeclaration(chain, withCounters) });
    lastLine = Math.max(lastLine, chain.line);
  }
  lastLine = Math.max(lastLine, placeRules(table, "save", withCounters, placed));
  lastLine = Math.max(lastLine, placeDeletions(table, placed));
  // A hand-built table without commitLine still closes after its own lines.
  placed.push({ line: table.commitLine ?? lastLine, text: "COMMIT" });
}

function placeListingTable(table: Table, withCounters: boolean, placed: Placed[]): void {
  for (const chain of table.chains) {
    if (!chain.declared) continue;
    if (chain.policy !== null) {
      const counters = withCounters && chain.counters !== null ? ` -c ${chain.counters.packets} ${chain.counters.bytes}` : "";
      placed.push({ line: chain.line, text: `-P ${chain.name} ${chain.policy}${counters}` });
    } else {
      placed.push({ line: chain.line, text: `-N ${chain.name}` });
    }
  }
  placeRules(table, "listing", withCounters, placed);
  placeDeletions(table, placed);
}

/** Places every rule of the table; returns the highest line used. */
function placeRules(table: Table, format: IptablesDump["format"], withCounters: boolean, placed: Placed[]): number {
  let lastLine = 0;
  for (const chain of table.chains) {
    for (const rule of chain.rules) {
      placed.push({ line: rule.line, text: serializeRule(rule, format, withCounters) });
      if (rule.line > lastLine) lastLine = rule.line;
    }
  }
  return lastLine;
}

function placeDeletions(table: Table, placed: Placed[]): number {
  let lastLine = 0;
  const deletions = table.deletions ?? table.deletedChains.map((chain) => ({ chain, line: 0 }));
  for (const deletion of deletions) {
    placed.push({ line: deletion.line, text: `-X ${deletion.chain}` });
    if (deletion.line > lastLine) lastLine = deletion.line;
  }
  return lastLine;
}

function saveDeclaration(chain: Chain, withCounters: boolean): string {
  const head = `:${chain.name} ${chain.policy ?? "-"}`;
  if (chain.counters === null) return head;
  return `${head} ${withCounters ? bracket(chain.counters) : "[0:0]"}`;
}

function bracket(counters: PacketCounters): string {
  return `[${counters.packets}:${counters.bytes}]`;
}

/**
 * Puts `-c P B` back at `offset` of a rule text, the inverse of the tokenizer's cut: before the word at `offset`,
 * or after the last word when `offset` is the end of the text.
 */
function insertInlineCounters(text: string, counters: PacketCounters, offset: number): string {
  const flag = `-c ${counters.packets} ${counters.bytes}`;
  if (text === "") return flag;
  if (offset >= text.length) return `${text} ${flag}`;
  return `${text.slice(0, offset)}${flag} ${text.slice(offset)}`;
}

/**
 * Offset of the unquoted `-j`/`-g` word in a rule text, or its length when there is none: `iptables -S -v` prints
 * the counters right before the target (iptables/iptables.c, print_rule4).
 */
function targetOffset(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') {
      quoted = true;
      continue;
    }
    const wordStart = i === 0 || text[i - 1] === " " || text[i - 1] === "\t";
    if (wordStart && c === "-" && (text[i + 1] === "j" || text[i + 1] === "g")) {
      const after = text[i + 2];
      if (after === undefined || after === " " || after === "\t") return i;
    }
  }
  return text.length;
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
