/**
 * The texts-only parse (`ruleOptions: false`) of a rule text without tabs whose quotes, if any, enclose whole words
 * without backslashes (`--comment "ns/svc:http cluster IP"`) — every kube-proxy rule: one pass over its words, with no
 * word arrays and no option built.
 *
 * It accepts exactly what the general tokenizer accepts of such a text (tokenize-rule.ts: `!` before an option or,
 * pre-1.4.3, right after it before an argument; arguments after an option; one word after `-m`, `-j`/`-g`; one
 * target, not negated) and reads the same target, goto flag and family. Everything else — every error, inline `-c`
 * counters — it hands back to the general tokenizer, which then says exactly what is wrong and where.
 */
import * as names from "./option-names";
import * as words from "./rule-words";
import type { TokenizerContext } from "./tokenize-rule";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { ADDRESS_HOST, ADDRESS_NAT, SPECIAL_COUNTERS, SPECIAL_NONE, SPECIAL_TARGET, addressOption, specialOption } = names;
const { nextIndex } = words;

const SPACE = 32;
const BANG = 33;
const DASH = 45;
const COLON = 58;
const LEFT_BRACKET = 91;
const BACKSLASH = 92;

const PLAIN = 0;
const NEGATION = 1;
const OPTION = 2;

/** As rule-words.ts classifies a word outside quotes: `!`, an option (`-x`, `--xyz`, not `-1`), or an argument. */
function wordKind(src: string, start: number, end: number): number {
  const first = src.charCodeAt(start);
  if (first === BANG && end === start + 1) return NEGATION;
  if (first !== DASH || end === start + 1) return PLAIN;
  const second = src.charCodeAt(start + 1);
  return second >= 48 && second <= 57 ? PLAIN : OPTION;
}

function wordEnd(src: string, start: number, end: number): number {
  const blank = src.indexOf(" ", start);
  return blank < 0 || blank > end ? end : blank;
}

/** True when the word at or after `pos` (before `end`) is an argument. */
function argumentFollows(src: string, pos: number, end: number): boolean {
  while (pos < end && src.charCodeAt(pos) === SPACE) pos++;
  return pos < end && wordKind(src, pos, wordEnd(src, pos, end)) === PLAIN;
}

/** The option being read: where its name is, whether it is negated, and where its arguments are. */
let nameStart = -1;
let nameLength = 0;
let negated = false;
let argCount = 0;
let firstArgStart = 0;
let firstArgEnd = 0;
let argsEnd = 0;
/** Whether the first argument, or any, is a quoted word. */
let firstArgQuoted = false;
let argsQuoted = false;

/** Checks the option just read and takes its target and family; false when the general path must judge it. */
function finishOption(context: TokenizerContext): boolean {
  const { src } = context;
  const special = specialOption(src, nameStart, nameLength);
  if (special === SPECIAL_COUNTERS) return false;
  if (special !== SPECIAL_NONE && argCount !== 1) return false;
  if (special === SPECIAL_TARGET) {
    const out = context.tokens;
    if (out.targetStart >= 0 || negated || firstArgQuoted) return false;
    // Left in place: the parser takes the string (see RuleTokens.targetStart).
    out.targetStart = firstArgStart;
    out.targetEnd = firstArgEnd;
    out.goto = nameLength === 2 ? src.charCodeAt(nameStart + 1) === 103 /* g */ : src.startsWith("--goto", nameStart);
  }
  if (!context.sawIPv6 && argCount > 0) {
    const address = addressOption(src, nameStart, nameLength);
    // Searched within the arguments only: a search of the whole input for a `:` or `[` that may never come would
    // make the parse quadratic.
    if (address === ADDRESS_HOST) {
      for (let i = firstArgStart; i < argsEnd; i++) {
        if (src.charCodeAt(i) === COLON) context.sawIPv6 = true;
      }
    } else if (address === ADDRESS_NAT) {
      if (argsQuoted) return false;
      for (let i = firstArgStart; i < argsEnd; i++) {
        if (src.charCodeAt(i) === LEFT_BRACKET && (i === firstArgStart || src.charCodeAt(i - 1) === SPACE)) context.sawIPv6 = true;
      }
    }
  }
  return true;
}

/**
 * Reads `context.src[start, end)`, which holds no tab, into `context.tokens` (where the target is, and goto; the
 * caller has reset them and set the empty option lists). False when the general tokenizer must read it instead.
 */
export function readPlainRule(context: TokenizerContext, start: number, end: number): boolean {
  const { src } = context;
  nameStart = -1;
  let pendingNegation = false;
  let justNamed = false;
  let pos = start;
  while (true) {
    while (pos < end && src.charCodeAt(pos) === SPACE) pos++;
    if (pos >= end) break;
    const wordStart = pos;
    const quote = nextIndex(src, context.quote, wordStart);
    let quoted = false;
    if (quote === wordStart) {
      // A quoted word, an argument whatever it says: closed before the rule ends, by a quote a blank follows, with no
      // backslash inside (an escape the general path reads).
      const close = nextIndex(src, context.quote, wordStart + 1);
      if (close >= end || (close + 1 < end && src.charCodeAt(close + 1) !== SPACE)) return false;
      for (let i = wordStart + 1; i < close; i++) if (src.charCodeAt(i) === BACKSLASH) return false;
      pos = close + 1;
      quoted = true;
    } else {
      pos = wordEnd(src, pos, end);
      if (quote < pos) return false; // a quote inside a word
    }
    const kind = quoted ? PLAIN : wordKind(src, wordStart, pos);
    if (kind === PLAIN) {
      // An argument before any option, or right after a `!`: an error the general path words.
      if (nameStart < 0 || pendingNegation) return false;
      if (argCount++ === 0) {
        firstArgStart = wordStart;
        firstArgEnd = pos;
        firstArgQuoted = quoted;
      }
      argsEnd = pos;
      if (quoted) argsQuoted = true;
      justNamed = false;
      continue;
    }
    if (kind === NEGATION) {
      if (pendingNegation) return false;
      if (justNamed && !negated && argumentFollows(src, pos, end)) {
        // Pre-1.4.3 syntax: `-s ! 10.0.0.1`.
        negated = true;
        justNamed = false;
        continue;
      }
      if (nameStart >= 0 && !finishOption(context)) return false;
      nameStart = -1;
      pendingNegation = true;
      justNamed = false;
      continue;
    }
    if (nameStart >= 0 && !finishOption(context)) return false;
    nameStart = wordStart;
    nameLength = pos - wordStart;
    negated = pendingNegation;
    pendingNegation = false;
    argCount = 0;
    firstArgQuoted = false;
    argsQuoted = false;
    justNamed = true;
  }
  if (pendingNegation) return false;
  return nameStart < 0 || finishOption(context);
}
