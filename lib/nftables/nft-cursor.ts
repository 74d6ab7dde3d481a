/**
 * A read position in a token list, and the few moves the nft parser is built from.
 *
 * A syntax failure deep inside a block unwinds to `parseNftRuleset` as a thrown `NftSyntaxFailure` value, which turns
 * it into an `NftParseError`; nothing outside this folder ever sees it thrown.
 */
import { isTokenizeFailure, type NftScanner, type NftToken } from "./tokenize-nft";

/**
 * Tokens read ahead of the parser. `tokens[pos]` is the next one; `compact` drops those already parsed, so the buffer
 * holds one statement, not the whole input.
 */
export interface NftCursor {
  tokens: NftToken[];
  pos: number;
  scan: NftScanner;
  /** The last token scanned, for failures at the end of input. */
  last: NftToken | undefined;
}

export function createCursor(scan: NftScanner): NftCursor {
  return { tokens: [], pos: 0, scan, last: undefined };
}

/** A failure at a position of the input. */
export interface NftSyntaxFailure {
  nftSyntaxFailure: true;
  reason: string;
  line: number;
  column: number;
}

export function failAt(reason: string, token: Pick<NftToken, "line" | "column"> | null | undefined): never {
  const failure: NftSyntaxFailure = { nftSyntaxFailure: true, reason, line: token?.line ?? 1, column: token?.column ?? 1 };
  throw failure;
}

export function isSyntaxFailure(value: unknown): value is NftSyntaxFailure {
  return typeof value === "object" && value !== null && (value as NftSyntaxFailure).nftSyntaxFailure === true;
}

export function peek(cursor: NftCursor): NftToken | undefined {
  while (cursor.pos >= cursor.tokens.length) {
    const token = cursor.scan();
    if (token === null) return undefined;
    if (isTokenizeFailure(token)) failAt(token.reason, token);
    cursor.tokens.push(token);
    cursor.last = token;
  }
  return cursor.tokens[cursor.pos];
}

/** The next token, consumed. */
export function next(cursor: NftCursor): NftToken | undefined {
  const token = peek(cursor);
  if (token !== undefined) cursor.pos++;
  return token;
}

/** Forgets the tokens already parsed. Only between statements: nothing may hold a position across it. */
export function compact(cursor: NftCursor): void {
  if (cursor.pos > 0) {
    cursor.tokens = cursor.tokens.slice(cursor.pos);
    cursor.pos = 0;
  }
}

/** The last token scanned, for failures at the end of input. */
export function lastToken(cursor: NftCursor): NftToken | undefined {
  return cursor.last;
}

export function isPunct(token: NftToken | undefined, punct: string): boolean {
  return token !== undefined && token.kind === "punct" && token.value === punct;
}

/** Line ends and `;` separate statements. */
export function isSeparator(token: NftToken | undefined): boolean {
  return token !== undefined && (token.kind === "newline" || isPunct(token, ";"));
}

export function skipSeparators(cursor: NftCursor): void {
  while (isSeparator(peek(cursor))) cursor.pos++;
}

export function expectPunct(cursor: NftCursor, punct: string, context: string): NftToken {
  const token = peek(cursor);
  if (!isPunct(token, punct)) failAt(`'${punct}' expected ${context}`, token ?? lastToken(cursor));
  cursor.pos++;
  return token!;
}

/** A `# handle N` right after the current position (nft -a prints it after `{` and at the end of rules). */
export function takeHandle(cursor: NftCursor): number | null {
  const token = peek(cursor);
  if (token?.kind !== "handle") return null;
  cursor.pos++;
  return Number(token.value);
}

/** A statement: its tokens (no line ends) and the `# handle` that closed it, if any. */
export interface NftStatement {
  tokens: NftToken[];
  handle: number | null;
}

/**
 * Reads tokens up to a separator or a `}` that closes the enclosing block (left unread). Braces opened inside the
 * statement may span lines (`elements = { a,\n b }`); line ends inside them are dropped.
 */
export function readStatement(cursor: NftCursor): NftStatement {
  const tokens: NftToken[] = [];
  let depth = 0;
  let handle: number | null = null;
  const opened: NftToken[] = [];
  for (;;) {
    const token = peek(cursor);
    if (token === undefined) {
      if (depth > 0) failAt("'}' missing", opened[opened.length - 1]);
      break;
    }
    if (token.kind === "handle") {
      handle = Number(token.value);
      cursor.pos++;
      continue;
    }
    if (depth === 0 && (isSeparator(token) || isPunct(token, "}"))) break;
    cursor.pos++;
    if (token.kind === "newline") continue;
    if (isPunct(token, "{")) {
      depth++;
      opened.push(token);
    } else if (isPunct(token, "}")) {
      depth--;
      opened.pop();
    }
    tokens.push(token);
  }
  return { tokens, handle };
}

/** After an opening `{`: the tokens up to its matching `}` (consumed), line ends dropped. */
export function readBraced(cursor: NftCursor, open: NftToken): NftToken[] {
  const tokens: NftToken[] = [];
  let depth = 1;
  for (;;) {
    const token = peek(cursor);
    if (token === undefined) failAt("'}' missing", open);
    cursor.pos++;
    if (token.kind === "newline" || token.kind === "handle") continue;
    if (isPunct(token, "{")) depth++;
    if (isPunct(token, "}") && --depth === 0) return tokens;
    tokens.push(token);
  }
}

/** Words of a block header up to `{`, a separator or the end (none consumed). */
export function readHeader(cursor: NftCursor): NftToken[] {
  const words: NftToken[] = [];
  for (;;) {
    const token = peek(cursor);
    if (token === undefined || isSeparator(token) || token.kind === "punct") return words;
    if (token.kind === "handle") {
      cursor.pos++;
      continue;
    }
    words.push(token);
    cursor.pos++;
  }
}

/** Tokens back to text: one space wherever the source had whitespace, strings with their quotes. */
export function joinTokens(tokens: readonly NftToken[]): string {
  let text = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (i > 0 && token.spaceBefore) text += " ";
    text += token.text;
  }
  return text;
}
