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
const { NEGATION, OPTION, PLAIN, QUOTED, newWordScanner, scanWords, wordValue } = words;

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
const LONG_NAMES: ReadonlyMap<number, readonly (readonly [string, number])[]> = (() => {
  const names: [string, number][] = [
    ["--match", MODULE], ["--jump", TARGET], ["--goto", TARGET], ["--set-counters", COUNTERS],
    ["--protocol", PROTOCOL], ["--destination", DESTINATION], ["--dst", DESTINATION],
    ["--source", BASE], ["--src", BASE], ["--in-interface", BASE], ["--out-interface", BASE], ["--fragment", BASE],
    ["--ipv4", BASE], ["--ipv6", BASE],
    ["--dport", DPORT], ["--destination-port", DPORT], ["--dst-type", DST_TYPE], ["--probability", PROBABILITY],
    ["--rcheck", RCHECK], ["--seconds", SECONDS], ["--to-destination", TO_DESTINATION], ["--comment", COMMENT],
  ];
  const byLength = new Map<number, [string, number][]>();
  for (const entry of names) {
    const list = byLength.get(entry[0].length);
    if (list === undefined) byLength.set(entry[0].length, [entry]);
    else list.push(entry);
  }
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
  const candidates = LONG_NAMES.get(length);
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

/** The all-digit number of up to 9 digits spelled by word `k`, or -1. */
function wordNumber(scanner: WordScanner, k: number): number {
  if (scanner.kinds[k] !== PLAIN) {
    const value = wordValue(scanner, k);
    return isDigits(value, 0, value.length) ? Number(value) : -1;
  }
  const start = scanner.starts[k]!;
  const end = scanner.ends[k]!;
  if (!isDigits(scanner.src, start, end)) return -1;
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (scanner.src.charCodeAt(i) - 48);
  return value;
}

function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 9) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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

/** Scans one rule text (see the module comment). The result is reused by the next call. */
export function scanRuleText(text: string): ScannedRule {
  const out = scanned;
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

  pointAt(text);
  let count = scanWords(scanner, 0, text.length);
  if (count < 0) count = 0; // an unterminated quote: the parser refuses such a rule, nothing to read
  const { starts, ends, kinds } = scanner;
  /** Last `-m` module (`"target"` after `-j`/`-g`), and the `-p` protocol as the tokenizer keeps it for owners. */
  let matchModule = "";
  let ownerProtocol = "";
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
    const hasArg = end > first;
    k = end;

    if (kind === MODULE) {
      if (hasArg) matchModule = wordValue(scanner, first);
      continue;
    }
    if (kind === TARGET) {
      matchModule = "target";
      continue;
    }
    if (kind === COUNTERS) continue;
    if (kind === PROTOCOL) {
      const value = hasArg ? wordValue(scanner, first).toLowerCase() : "";
      ownerProtocol = value;
      if (hasArg && !negated) out.protocol = value;
      continue;
    }
    if (kind === DESTINATION) {
      if (hasArg) out.destination = wordValue(scanner, first);
      out.destinationNegated = negated;
      continue;
    }
    const owner = kind === BASE ? "" : matchModule !== "" ? matchModule : ownerProtocol;
    const neutral = isNeutralOwner(owner);
    switch (kind) {
      case COMMENT: {
        let comment = hasArg ? wordValue(scanner, first) : "";
        for (let w = first + 1; w < end; w++) comment += ` ${wordValue(scanner, w)}`;
        out.comment = out.comment === null ? comment : `${out.comment} ${comment}`;
        if (!neutral) noteCondition(out, negated);
        continue;
      }
      case DPORT: {
        if (hasArg && !negated) {
          const port = wordNumber(scanner, first);
          if (port >= 0) out.dport = port;
        }
        continue;
      }
      case DST_TYPE:
        out.dstType = hasArg ? (negated ? "!" : "") + wordValue(scanner, first) : null;
        out.unconditional = false;
        continue;
      case PROBABILITY:
        out.probabilityText = hasArg ? wordValue(scanner, first) : null;
        out.unconditional = false;
        break;
      case RCHECK:
        out.recentCheck = true;
        out.unconditional = false;
        break;
      case SECONDS: {
        const seconds = hasArg ? wordNumber(scanner, first) : -1;
        if (seconds >= 0) out.recentSeconds = seconds;
        out.unconditional = false;
        break;
      }
      case TO_DESTINATION:
        if (owner === "target") {
          const value = hasArg ? wordValue(scanner, first) : null;
          out.toDestination = value;
          if (!out.hasToDestination) {
            out.hasToDestination = true;
            out.firstToDestination = value;
          }
        }
        break;
      default:
        if (!neutral) out.unconditional = false;
    }
    if (!neutral) noteCondition(out, negated);
  }
  return out;
}

function noteCondition(out: ScannedRule, negated: boolean): void {
  if (negated) out.negatedCondition = true;
  else out.positiveCondition = true;
}
