/**
 * The few things the kube-proxy model needs of a rule, read straight from its text (`Rule.text`).
 *
 * The model reads ~80k rules of a 10k-service node, and needs from each only a comment, protocol, destination, port,
 * probability, affinity check, DNAT destination and whether anything else conditions the rule. Reading them here,
 * word by word, costs a fraction of building generic option arrays, so the model also works on a dump parsed with
 * `ruleOptions: false` — the cheap parse that `readProxyModel` uses.
 *
 * The words and their grammar are exactly the tokenizer's (lib/iptables/tokenize-rule.ts): words split by
 * rule-words.ts; `!` before an option, or (pre-1.4.3 syntax) right after it; every following non-option word is an
 * argument; an option belongs to nobody when it is a base option (`-s -d -p -i -o -f -4 -6`, long forms) or `-m`,
 * `-j`/`-g`, `-c`, else to the last `-m` module, to `"target"` after `-j`/`-g`, or to the `-p` protocol before any
 * `-m`. A text the tokenizer would refuse is read as far as it goes; the parser never hands one over.
 */
import * as words from "../iptables/rule-words";
import type { WordScanner } from "../iptables/rule-words";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which costs more than the work itself in a loop over every word of 80k rules.
 */
const { NEGATION, OPTION, PLAIN, QUOTED, newWordScanner, scanWords, sharedSlice, wordValue } = words;

/** What one scan found; one reused object (read it before the next scan). */
export interface ScannedRule {
  /** Every `--comment` argument (any owner), joined with single spaces, or null without one. */
  comment: string | null;
  /** Last non-negated `-p` argument, lower-cased. */
  protocol: string | null;
  /** Last `-d` argument as written, and whether that `-d` was negated. */
  destination: string | null;
  destinationNegated: boolean;
  /** Last non-negated all-digit `--dport` / `--destination-port`. */
  dport: number | null;
  /** `--dst-type` argument, with `!` in front when negated. */
  dstType: string | null;
  probabilityText: string | null;
  recentCheck: boolean;
  /** Last all-digit `--seconds`. */
  recentSeconds: number | null;
  /** Last `--to-destination` of the target, and whether the rule has one at all (its argument may be missing). */
  toDestination: string | null;
  /** First `--to-destination` of the target (what an endpoint chain's DNAT sends to), and whether there is one. */
  firstToDestination: string | null;
  hasToDestination: boolean;
  /** False when anything but protocol, destination, port, comment, nfacct and the target's options conditions it. */
  unconditional: boolean;
  /**
   * Conditions besides protocol, destination, port and address type (and comment, nfacct and target options),
   * negated (`! -s POD_CIDR`) or not (`-s 127.0.0.0/8`, `--src-type LOCAL`): what limits a masquerade rule's reach.
   */
  negatedCondition: boolean;
  positiveCondition: boolean;
}

/** Option names the model tells apart (everything else is OTHER). */
const OTHER = 0;
const MODULE = 1; // -m --match
const TARGET = 2; // -j --jump -g --goto
const COUNTERS = 3; // -c --set-counters
const PROTOCOL = 4; // -p --protocol
const DESTINATION = 5; // -d --destination --dst
const BASE = 6; // the other base options: -s -i -o -f -4 -6 and long forms
const DPORT = 7; // --dport --destination-port
const DST_TYPE = 8;
const PROBABILITY = 9;
const RCHECK = 10;
const SECONDS = 11;
const TO_DESTINATION = 12;
const COMMENT = 13;

/** Long option names by length, with their kind (short ones are told by their letter). */
const LONG_NAMES: readonly (readonly (readonly [string, number])[] | undefined)[] = (() => {
  const names: [string, number][] = [
    ["--match", MODULE], ["--jump", TARGET], ["--goto", TARGET], ["--set-counters", COUNTERS],
    ["--protocol", PROTOCOL], ["--destination", DESTINATION], ["--dst", DESTINATION],
    ["--source", BASE], ["--src", BASE], ["--in-interface", BASE], ["--out-interface", BASE], ["--fragment", BASE],
    ["--ipv4", BASE], ["--ipv6", BASE],
    ["--dport", DPORT], ["--destination-port", DPORT], ["--dst-type", DST_TYPE], ["--probability", PROBABILITY],
    ["--rcheck", RCHECK], ["--seconds", SECONDS], ["--to-destination", TO_DESTINATION], ["--comment", COMMENT],
  ];
  const byLength: [string, number][][] = [];
  for (const entry of names) (byLength[entry[0].length] ??= []).push(entry);
  return byLength;
})();

function nameKind(src: string, start: number, length: number): number {
  if (length === 2) {
    switch (src.charCodeAt(start + 1)) {
      case 109 /* m */:
        return MODULE;
      case 106 /* j */:
      case 103 /* g */:
        return TARGET;
      case 99 /* c */:
        return COUNTERS;
      case 112 /* p */:
        return PROTOCOL;
      case 100 /* d */:
        return DESTINATION;
      case 115 /* s */:
      case 105 /* i */:
      case 111 /* o */:
      case 102 /* f */:
      case 52 /* 4 */:
      case 54 /* 6 */:
        return BASE;
      default:
        return OTHER;
    }
  }
  if (src.charCodeAt(start + 1) !== 45 /* - */) return OTHER;
  const candidates = LONG_NAMES[length];
  if (candidates === undefined) return OTHER;
  for (let k = 0; k < candidates.length; k++) {
    const candidate = candidates[k]!;
    if (src.startsWith(candidate[0], start)) return candidate[1];
  }
  return OTHER;
}

/** Owners whose options never condition a rule: a comment, an nfacct counter, the target's own options. */
function isNeutralOwner(owner: string): boolean {
  return owner === "comment" || owner === "target" || owner === "nfacct";
}

/** The number spelled by `text[start, end)` when it is 1 to 9 digits, else -1. */
function digitsNumber(text: string, start: number, end: number): number {
  if (end <= start || end - start > 9) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

const scanner: WordScanner = newWordScanner("");
const scanned: ScannedRule = {
  comment: null,
  protocol: null,
  destination: null,
  destinationNegated: false,
  dport: null,
  dstType: null,
  probabilityText: null,
  recentCheck: false,
  recentSeconds: null,
  toDestination: null,
  firstToDestination: null,
  hasToDestination: false,
  unconditional: true,
  negatedCondition: false,
  positiveCondition: false,
};

/** Points the shared scanner at a new text (its remembered search positions belong to the old one). */
function pointAt(text: string): void {
  scanner.src = text;
  scanner.quote.from = 0;
  scanner.quote.at = -1;
  scanner.tab.from = 0;
  scanner.tab.at = -1;
  scanner.backslash.from = 0;
  scanner.backslash.at = -1;
}

/**
 * Where the arguments of the option being applied are: one option at a time, filled by either reading path.
 * `first`/`firstEnd` bound the first argument word in `text` (when `argCount` > 0); `value(k)` is argument k unquoted.
 */
interface OptionArgs {
  text: string;
  argCount: number;
  first: number;
  firstEnd: number;
  /** True when the first argument is a plain word (its value is its text). */
  firstPlain: boolean;
}

const args: OptionArgs = { text: "", argCount: 0, first: 0, firstEnd: 0, firstPlain: true };

/** Reading state across the options of one rule: who owns the next option (see the module comment). */
let matchModule = "";
let ownerProtocol = "";

/**
 * Applies one option, of kind `kind`, to the facts; `value(k)` gives its k-th argument's value (for the few the model
 * keeps). The single place where the model's meaning of an option is written down.
 */
function applyOption(out: ScannedRule, kind: number, negated: boolean, value: (k: number) => string): void {
  const hasArg = args.argCount > 0;
  switch (kind) {
    case MODULE:
      if (hasArg) matchModule = value(0);
      return;
    case TARGET:
      matchModule = "target";
      return;
    case COUNTERS:
      return;
    case PROTOCOL: {
      const protocol = hasArg ? value(0).toLowerCase() : "";
      ownerProtocol = protocol;
      if (hasArg && !negated) out.protocol = protocol;
      return;
    }
    case DESTINATION:
      if (hasArg) out.destination = value(0);
      out.destinationNegated = negated;
      return;
    case DPORT: {
      if (hasArg && !negated) {
        const port = args.firstPlain ? digitsNumber(args.text, args.first, args.firstEnd) : digitsOf(value(0));
        if (port >= 0) out.dport = port;
      }
      return;
    }
    case DST_TYPE:
      out.dstType = hasArg ? (negated ? "!" : "") + value(0) : null;
      out.unconditional = false;
      return;
  }
  const owner = kind === BASE ? "" : matchModule !== "" ? matchModule : ownerProtocol;
  const neutral = isNeutralOwner(owner);
  switch (kind) {
    case COMMENT: {
      let comment = hasArg ? value(0) : "";
      for (let k = 1; k < args.argCount; k++) comment += ` ${value(k)}`;
      out.comment = out.comment === null ? comment : `${out.comment} ${comment}`;
      break;
    }
    case PROBABILITY:
      out.probabilityText = hasArg ? value(0) : null;
      out.unconditional = false;
      break;
    case RCHECK:
      out.recentCheck = true;
      out.unconditional = false;
      break;
    case SECONDS: {
      const seconds = !hasArg ? -1 : args.firstPlain ? digitsNumber(args.text, args.first, args.firstEnd) : digitsOf(value(0));
      if (seconds >= 0) out.recentSeconds = seconds;
      out.unconditional = false;
      break;
    }
    case TO_DESTINATION:
      if (owner === "target") {
        const destination = hasArg ? value(0) : null;
        out.toDestination = destination;
        if (!out.hasToDestination) {
          out.hasToDestination = true;
          out.firstToDestination = destination;
        }
      }
      break;
    default:
      if (!neutral) out.unconditional = false;
  }
  if (!neutral) {
    if (negated) out.negatedCondition = true;
    else out.positiveCondition = true;
  }
}

function digitsOf(value: string): number {
  return digitsNumber(value, 0, value.length);
}

/** Empties the facts and the reading state before a (new) reading of a rule. */
function resetScan(out: ScannedRule): void {
  out.comment = null;
  out.protocol = null;
  out.destination = null;
  out.destinationNegated = false;
  out.dport = null;
  out.dstType = null;
  out.probabilityText = null;
  out.recentCheck = false;
  out.recentSeconds = null;
  out.toDestination = null;
  out.firstToDestination = null;
  out.hasToDestination = false;
  out.unconditional = true;
  out.negatedCondition = false;
  out.positiveCondition = false;
  matchModule = "";
  ownerProtocol = "";
}

/** Scans one rule text (see the module comment). The result is reused by the next call. */
export function scanRuleText(text: string): ScannedRule {
  const out = scanned;
  resetScan(out);
  args.text = text;
  // Without tabs, backslashes and quotes but around whole words, a word's value is its text or what its quotes
  // enclose: read in one pass. Anything else takes the word arrays of rule-words.ts.
  if (text.indexOf("\t") >= 0 || text.indexOf("\\") >= 0 || !scanSimpleText(text, out)) {
    resetScan(out);
    scanQuotedText(text, out);
  }
  return out;
}

/** Where the arguments of the option being read by scanSimpleText are: the value of argument k is `text[starts[k], ends[k])`. */
let argStarts = new Int32Array(16);
let argEnds = new Int32Array(16);

/** Argument k of the option being read by scanSimpleText. */
function simpleValue(k: number): string {
  return sharedSlice(args.text, argStarts[k]!, argEnds[k]!);
}

function noteArgument(start: number, end: number, plain: boolean): void {
  const k = args.argCount++;
  if (k === argStarts.length) {
    const starts = new Int32Array(k * 2);
    starts.set(argStarts);
    argStarts = starts;
    const ends = new Int32Array(k * 2);
    ends.set(argEnds);
    argEnds = ends;
  }
  argStarts[k] = start;
  argEnds[k] = end;
  if (k === 0) {
    args.first = start;
    args.firstEnd = end;
    args.firstPlain = plain;
  }
}

function wordEnd(text: string, start: number): number {
  const blank = text.indexOf(" ", start);
  return blank < 0 ? text.length : blank;
}

const SPACE = 32;
const BANG = 33;
const QUOTE = 34;
const DASH = 45;

/** Word kinds of the one-pass path, as rule-words.ts classifies plain words. */
function plainKind(text: string, start: number, end: number): number {
  const first = text.charCodeAt(start);
  if (first === BANG && end === start + 1) return NEGATION;
  if (first !== DASH || end === start + 1) return PLAIN;
  const second = text.charCodeAt(start + 1);
  return second >= 48 && second <= 57 ? PLAIN : OPTION;
}

/**
 * The grammar of the module comment in one pass, for a text without tabs and backslashes whose quotes open and close
 * whole words (`--comment "ns/svc:http cluster IP"`). False, having read part of the rule, when a quote sits inside a
 * word or is not closed: the caller starts again with the word arrays.
 */
function scanSimpleText(text: string, out: ScannedRule): boolean {
  const length = text.length;
  let pos = 0;
  let quote = text.indexOf('"');
  if (quote < 0) quote = length;
  /** The option being read (-1 before the first), whether it is negated, and whether no word followed its name yet. */
  let kind = -1;
  let negated = false;
  let pendingNegation = false;
  let justNamed = false;
  while (true) {
    while (pos < length && text.charCodeAt(pos) === SPACE) pos++;
    if (pos >= length) break;
    const start = pos;
    if (quote < pos) {
      quote = text.indexOf('"', pos);
      if (quote < 0) quote = length;
    }
    if (quote === start) {
      // A quoted word: an argument whatever it says, ending at its closing quote, which a blank must follow.
      const close = text.indexOf('"', start + 1);
      if (close < 0 || (close + 1 < length && text.charCodeAt(close + 1) !== SPACE)) return false;
      pos = close + 1;
      justNamed = false;
      if (kind >= 0) noteArgument(start + 1, close, false);
      continue;
    }
    const end = wordEnd(text, pos);
    if (quote < end) return false; // a quote inside a word
    pos = end;
    const wordKind = plainKind(text, start, end);
    if (wordKind === PLAIN) {
      justNamed = false;
      if (kind >= 0) noteArgument(start, end, true);
      continue;
    }
    if (wordKind === NEGATION && justNamed && !negated) {
      // Pre-1.4.3 syntax: `-s ! 10.0.0.1` negates the option when an argument follows the `!`.
      let next = pos;
      while (next < length && text.charCodeAt(next) === SPACE) next++;
      if (next < length && (text.charCodeAt(next) === QUOTE || plainKind(text, next, wordEnd(text, next)) === PLAIN)) {
        negated = true;
        justNamed = false;
        continue;
      }
    }
    if (kind >= 0) applyOption(out, kind, negated, simpleValue);
    if (wordKind === NEGATION) {
      kind = -1;
      pendingNegation = true;
      justNamed = false;
      continue;
    }
    kind = nameKind(text, start, end - start);
    negated = pendingNegation;
    pendingNegation = false;
    justNamed = true;
    args.argCount = 0;
  }
  if (kind >= 0) applyOption(out, kind, negated, simpleValue);
  return true;
}

/** Word index of the first argument of the option scanQuotedText is applying. */
let firstWord = 0;

function quotedValue(k: number): string {
  return wordValue(scanner, firstWord + k);
}

/** The grammar of the module comment over words split by rule-words.ts (quotes, tabs). */
function scanQuotedText(text: string, out: ScannedRule): void {
  pointAt(text);
  let count = scanWords(scanner, 0, text.length);
  if (count < 0) count = 0; // an unterminated quote: the parser refuses such a rule, nothing to read
  const { starts, ends, kinds } = scanner;
  let k = 0;
  while (k < count) {
    let negated = false;
    if (kinds[k] === NEGATION) {
      negated = true;
      k++;
      if (k >= count) break;
    }
    if (kinds[k] !== OPTION) {
      k++;
      continue;
    }
    const nameStart = starts[k]!;
    const kind = nameKind(text, nameStart, ends[k]! - nameStart);
    let first = k + 1;
    if (!negated && first + 1 < count && kinds[first] === NEGATION && kinds[first + 1]! <= QUOTED) {
      negated = true;
      first++;
    }
    let end = first;
    while (end < count && kinds[end]! <= QUOTED) end++;
    k = end;
    firstWord = first;
    args.argCount = end - first;
    if (end > first) {
      args.first = starts[first]!;
      args.firstEnd = ends[first]!;
      args.firstPlain = kinds[first] === PLAIN;
    }
    applyOption(out, kind, negated, quotedValue);
  }
}
