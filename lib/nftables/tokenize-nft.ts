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

/** Hands out one token per call, `null` at the end, or a failure; tokens are made as the parser asks for them. */
export type NftScanner = () => NftToken | null | NftTokenizeFailure;

export function isTokenizeFailure(value: NftToken | NftTokenizeFailure | null): value is NftTokenizeFailure {
  return value !== null && "reason" in value;
}

const HANDLE_COMMENT = /^#\s*handle\s+(\d+)\s*$/;

/**
 * Character classes by char code, so the scanner's inner loop is table lookups: a large node's ruleset is tens of
 * megabytes and millions of tokens.
 */
const WORD = 0;
const SPACE = 1;
const NEWLINE = 2;
const PUNCT = 3;
const QUOTE = 4;
const HASH = 5;
const CONTROL = 6;
const CLASSES = new Uint8Array(128);
for (let code = 0; code < 32; code++) CLASSES[code] = CONTROL;
for (const ch of " \t\r\f\v") CLASSES[ch.charCodeAt(0)] = SPACE;
CLASSES[10] = NEWLINE;
for (const ch of "{},;") CLASSES[ch.charCodeAt(0)] = PUNCT;
CLASSES[34] = QUOTE;
CLASSES[35] = HASH;
CLASSES[127] = CONTROL;

function classOf(code: number): number {
  return code < 128 ? CLASSES[code]! : WORD;
}

/**
 * A scanner over `source`. Tokens are made on demand so a large ruleset never holds millions of them at once: the
 * parser keeps only the statement it is reading. Never throws.
 */
export function scanNft(source: string): NftScanner {
  let line = 1;
  let lineStart = 0;
  let spaceBefore = true;
  let i = 0;
  const n = source.length;
  return () => {
    while (i < n) {
      const code = source.charCodeAt(i);
      const kind = classOf(code);
      const column = i - lineStart + 1;
      if (kind === WORD) {
        let j = i + 1;
        while (j < n && classOf(source.charCodeAt(j)) === WORD) j++;
        const word = source.slice(i, j);
        i = j;
        const before = spaceBefore;
        spaceBefore = false;
        return { kind: "word", text: word, value: word, line, column, spaceBefore: before };
      } else if (kind === SPACE) {
        i++;
        spaceBefore = true;
      } else if (kind === NEWLINE) {
        const token: NftToken = { kind: "newline", text: "\n", value: "\n", line, column, spaceBefore };
        line++;
        lineStart = i + 1;
        i++;
        spaceBefore = true;
        return token;
      } else if (kind === PUNCT) {
        const ch = source[i]!;
        const before = spaceBefore;
        i++;
        spaceBefore = false;
        return { kind: "punct", text: ch, value: ch, line, column, spaceBefore: before };
      } else if (kind === QUOTE) {
        // nft strings cannot span lines; a backslash escapes the next character (nft(8) accepts `\"` in comments).
        let j = i + 1;
        let value = "";
        while (j < n && source.charCodeAt(j) !== 34 && source.charCodeAt(j) !== 10) {
          if (source.charCodeAt(j) === 92 && j + 1 < n && source.charCodeAt(j + 1) !== 10) {
            value += source[j + 1];
            j += 2;
          } else {
            value += source[j];
            j++;
          }
        }
        if (j >= n || source.charCodeAt(j) !== 34) return { reason: "unterminated string", line, column };
        const before = spaceBefore;
        const text = source.slice(i, j + 1);
        i = j + 1;
        spaceBefore = false;
        return { kind: "string", text, value, line, column, spaceBefore: before };
      } else if (kind === HASH) {
        let end = source.indexOf("\n", i);
        if (end < 0) end = n;
        const comment = source.slice(i, end).trimEnd();
        const handle = HANDLE_COMMENT.exec(comment);
        i = end;
        spaceBefore = true;
        if (handle) return { kind: "handle", text: comment, value: handle[1]!, line, column, spaceBefore: true };
      } else {
        return { reason: `control character 0x${code.toString(16).padStart(2, "0")}`, line, column };
      }
    }
    return null;
  };
}
