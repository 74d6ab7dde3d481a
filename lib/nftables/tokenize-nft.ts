/**
 * Splits nft(8) text — listings and `nft -f` scripts alike — into tokens with their positions.
 *
 * nft's own scanner knows hundreds of keywords; natwatch only needs the structure: words, quoted strings, the
 * punctuation that shapes blocks and lists (`{ } , ;`), line ends (a statement ends at a line end unless a brace is
 * open) and the `# handle N` comments `nft -a` appends. Every other `#` comment is dropped, as nft drops it.
 */

/** One token. `text` is the raw source; `value` is a string without its quotes, or a handle's number. */
export interface NftToken {
  kind: "word" | "string" | "punct" | "newline" | "handle";
  text: string;
  value: string;
  /** 1-based position of the first character. */
  line: number;
  column: number;
  /** True when whitespace (or a line end) separates this token from the previous one. */
  spaceBefore: boolean;
}

/** Why text could not be tokenized, with its position. */
export interface NftTokenizeFailure {
  reason: string;
  line: number;
  column: number;
}

export type NftTokenizeResult = { ok: true; tokens: NftToken[] } | { ok: false; failure: NftTokenizeFailure };

const PUNCTUATION = new Set(["{", "}", ",", ";"]);
const HANDLE_COMMENT = /^#\s*handle\s+(\d+)\s*$/;

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\v";
}

/** Control characters have no place in a ruleset; accepting them would let binary garbage pass as words. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c && code !== 0x0b) || code === 0x7f;
}

/** Tokenizes `source`. Never throws. */
export function tokenizeNft(source: string): NftTokenizeResult {
  const tokens: NftToken[] = [];
  let line = 1;
  let lineStart = 0;
  let spaceBefore = true;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const ch = source[i]!;
    const column = i - lineStart + 1;
    if (ch === "\n") {
      tokens.push({ kind: "newline", text: "\n", value: "\n", line, column, spaceBefore });
      line++;
      lineStart = i + 1;
      i++;
      spaceBefore = true;
      continue;
    }
    if (isSpace(ch)) {
      i++;
      spaceBefore = true;
      continue;
    }
    if (isControl(ch.charCodeAt(0))) {
      return { ok: false, failure: { reason: `control character 0x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`, line, column } };
    }
    if (ch === "#") {
      let end = source.indexOf("\n", i);
      if (end < 0) end = n;
      const comment = source.slice(i, end).trimEnd();
      const handle = HANDLE_COMMENT.exec(comment);
      if (handle) tokens.push({ kind: "handle", text: comment, value: handle[1]!, line, column, spaceBefore: true });
      i = end;
      spaceBefore = true;
      continue;
    }
    if (ch === '"') {
      // nft strings cannot span lines; a backslash escapes the next character (nft(8) accepts `\"` in comments).
      let j = i + 1;
      let value = "";
      while (j < n && source[j] !== '"' && source[j] !== "\n") {
        if (source[j] === "\\" && j + 1 < n && source[j + 1] !== "\n") {
          value += source[j + 1];
          j += 2;
        } else {
          value += source[j];
          j++;
        }
      }
      if (j >= n || source[j] !== '"') return { ok: false, failure: { reason: "unterminated string", line, column } };
      tokens.push({ kind: "string", text: source.slice(i, j + 1), value, line, column, spaceBefore });
      i = j + 1;
      spaceBefore = false;
      continue;
    }
    if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: "punct", text: ch, value: ch, line, column, spaceBefore });
      i++;
      spaceBefore = false;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const c = source[j]!;
      if (c === "\n" || isSpace(c) || c === '"' || c === "#" || PUNCTUATION.has(c) || isControl(c.charCodeAt(0))) break;
      j++;
    }
    const word = source.slice(i, j);
    tokens.push({ kind: "word", text: word, value: word, line, column, spaceBefore });
    i = j;
    spaceBefore = false;
  }
  return { ok: true, tokens };
}
