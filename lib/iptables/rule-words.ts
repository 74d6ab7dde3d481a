/**
 * The words of one rule's text, found the way iptables-restore splits them (`add_param_to_argv` in
 * iptables/xshared.c), not as a POSIX shell would:
 * - words are separated by spaces and tabs; runs of them count once (real output has `--nfacct-name  x`);
 * - a `"` opens a quoted run anywhere in a word, and the closing `"` ends the word (`"a b"c` is two words);
 * - inside quotes a backslash takes the next character literally (`\"` → `"`, `\\` → `\`), which is how
 *   iptables-save escapes comments; outside quotes a backslash and a `'` are ordinary characters.
 * iptables 1.8.9 silently runs an unterminated quote to the end of the line; we refuse it instead, because in a
 * capture it means the line was cut.
 *
 * This runs over every character of 25 MB dumps, so words are found with native `indexOf` (a JS loop over each
 * character costs more than the whole parse budget on a busy 2-core machine) into reused typed arrays, and their
 * strings are built only when asked for.
 */

const TAB = 9;
const SPACE = 32;
const BANG = 33;
const DASH = 45;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const BACKSLASH = 92;

/** Kinds of words. */
export const PLAIN = 0;
export const QUOTED = 1;
export const NEGATION = 2;
export const OPTION = 3;

/** Where the next occurrence of a character is, remembered between calls (rules are read in input order). */
export interface NextIndex {
  needle: string;
  /** Position of the last query, and the first occurrence at or after it (`src.length` when none). */
  from: number;
  at: number;
}

/** The input and the word boundaries of the rule being read; one per parse, reused by every rule. */
export interface WordScanner {
  src: string;
  quote: NextIndex;
  tab: NextIndex;
  backslash: NextIndex;
  /** Start, end and kind of each word of the current rule. */
  starts: Int32Array;
  ends: Int32Array;
  kinds: Uint8Array;
}

export function newWordScanner(src: string): WordScanner {
  return {
    src,
    quote: { needle: '"', from: 0, at: -1 },
    tab: { needle: "\t", from: 0, at: -1 },
    backslash: { needle: "\\", from: 0, at: -1 },
    starts: new Int32Array(64),
    ends: new Int32Array(64),
    kinds: new Uint8Array(64),
  };
}

/** First occurrence of the needle at or after `i` (`src.length` when none), by native search amortized over calls. */
export function nextIndex(src: string, next: NextIndex, i: number): number {
  if (i < next.from || next.at < i) {
    const found = src.indexOf(next.needle, i);
    next.at = found < 0 ? src.length : found;
  }
  next.from = i;
  return next.at;
}

/** True when `src[start, end)` holds a tab (iptables-save never writes one, so the fast path ignores tabs). */
export function hasTab(context: WordScanner, start: number, end: number): boolean {
  return nextIndex(context.src, context.tab, start) < end;
}

/**
 * Frequent words, returned as shared strings instead of fresh copies: a 230k-rule dump holds millions of option
 * words and most are these. (V8 copies every substring shorter than 13 characters.)
 */
export const COMMON_WORDS: readonly string[] = [
  "-m", "-j", "-g", "-p", "-s", "-d", "-i", "-o", "--comment", "comment", "tcp", "udp", "sctp", "--dport", "--sport",
  "statistic", "--mode", "random", "--probability", "KUBE-MARK-MASQ", "DNAT", "--to-destination", "RETURN", "ACCEPT",
  "DROP", "REJECT", "MARK", "MASQUERADE", "--random-fully", "mark", "--mark", "--set-xmark", "--or-mark", "--xor-mark",
  "addrtype", "--dst-type", "--src-type", "LOCAL", "recent", "--rcheck", "--set", "--seconds", "--reap", "--name",
  "--mask", "--rsource", "conntrack", "--ctstate", "multiport", "--dports", "nfacct", "--nfacct-name", "set",
  "--match-set", "physdev", "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-DROP",
];

/** Indexes into COMMON_WORDS by word length, for a lookup that does not build the substring first. */
const COMMON_BY_LENGTH: readonly (readonly number[])[] = (() => {
  const byLength: number[][] = [];
  COMMON_WORDS.forEach((word, index) => {
    while (byLength.length <= word.length) byLength.push([]);
    (byLength[word.length] as number[]).push(index);
  });
  return byLength;
})();

/** Index in COMMON_WORDS of the word spelled by `src[start, end)`, or -1. */
export function commonIndex(src: string, start: number, end: number): number {
  const candidates = COMMON_BY_LENGTH[end - start];
  if (candidates === undefined) return -1;
  const first = src.charCodeAt(start);
  for (let k = 0; k < candidates.length; k++) {
    const index = candidates[k] as number;
    const candidate = COMMON_WORDS[index] as string;
    if (candidate.charCodeAt(0) === first && src.startsWith(candidate, start)) return index;
  }
  return -1;
}

/** The common word spelled by `src[start, end)`, or null. */
export function commonWord(src: string, start: number, end: number): string | null {
  const index = commonIndex(src, start, end);
  return index < 0 ? null : (COMMON_WORDS[index] as string);
}

/** `src.slice(start, end)`, sharing the string when it is a common word. */
export function sharedSlice(src: string, start: number, end: number): string {
  return commonWord(src, start, end) ?? src.slice(start, end);
}

function classifyPlain(src: string, start: number, end: number): number {
  const first = src.charCodeAt(start);
  if (first === BANG && end === start + 1) return NEGATION;
  if (first !== DASH || end === start + 1) return PLAIN;
  // `-1` is a (negative number) argument, not an option.
  const second = src.charCodeAt(start + 1);
  return second >= DIGIT_0 && second <= DIGIT_9 ? PLAIN : OPTION;
}

/** Position of the quote closing a run opened before `from`, or -1 when the run is not closed before `end`. */
function closingQuote(context: WordScanner, from: number, end: number): number {
  const { src } = context;
  let i = from;
  while (true) {
    const quote = nextIndex(src, context.quote, i);
    if (quote >= end) return -1;
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    for (let k = quote - 1; k >= from && src.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/** Finds the words of `src[start, end)` into the context; returns their count, or -1 - offset of an open quote. */
export function scanWords(context: WordScanner, start: number, end: number): number {
  const { src } = context;
  const withTabs = hasTab(context, start, end);
  let count = 0;
  let i = start;
  let quote = nextIndex(src, context.quote, start);
  while (true) {
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c !== SPACE && c !== TAB) break;
      i++;
    }
    if (i >= end) return count;
    const wordStart = i;
    let blank = src.indexOf(" ", i);
    if (blank < 0 || blank > end) blank = end;
    if (withTabs) {
      const tab = src.indexOf("\t", i);
      if (tab >= 0 && tab < blank) blank = tab;
    }
    let kind: number;
    if (quote < blank) {
      // The quoted run ends the word at its closing quote (iptables: `"a b"c` is two words).
      const close = closingQuote(context, quote + 1, end);
      if (close < 0) return -1 - wordStart;
      i = close + 1;
      kind = QUOTED;
      quote = nextIndex(src, context.quote, i);
    } else {
      i = blank;
      kind = classifyPlain(src, wordStart, i);
    }
    if (count === context.starts.length) growWords(context);
    context.starts[count] = wordStart;
    context.ends[count] = i;
    context.kinds[count] = kind;
    count++;
  }
}

function growWords(context: WordScanner): void {
  const size = context.starts.length * 2;
  const starts = new Int32Array(size);
  starts.set(context.starts);
  const ends = new Int32Array(size);
  ends.set(context.ends);
  const kinds = new Uint8Array(size);
  kinds.set(context.kinds);
  context.starts = starts;
  context.ends = ends;
  context.kinds = kinds;
}

/** The value of word `k`: shell-unquoted when it has a quoted run. */
export function wordValue(context: WordScanner, k: number): string {
  const { src } = context;
  const start = context.starts[k] as number;
  const end = context.ends[k] as number;
  if (context.kinds[k] !== QUOTED) return sharedSlice(src, start, end);
  const quote = nextIndex(src, context.quote, start);
  // The closing quote is the word's last character (scanWords ends the word there).
  const close = end - 1;
  const prefix = quote > start ? src.slice(start, quote) : "";
  let runStart = quote + 1;
  let backslash = nextIndex(src, context.backslash, runStart);
  if (backslash >= close) return prefix + src.slice(runStart, close);
  // Escapes are rare (a `"` or `\` inside a comment), so joining pieces here is cheap.
  let value = prefix;
  while (backslash < close) {
    value += src.slice(runStart, backslash) + src[backslash + 1];
    runStart = backslash + 2;
    backslash = runStart < close ? nextIndex(src, context.backslash, runStart) : close;
  }
  return value + src.slice(runStart, close);
}

/** The decimal number spelled by `src[start, end)` (digits only, checked by the caller); no substring built. */
export function readNumber(src: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (src.charCodeAt(i) - DIGIT_0);
  return value;
}

export function isDigitsWord(context: WordScanner, k: number): boolean {
  if (context.kinds[k] !== PLAIN) return false;
  const start = context.starts[k] as number;
  const end = context.ends[k] as number;
  if (end - start > 20) return false;
  for (let i = start; i < end; i++) {
    const c = context.src.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}
