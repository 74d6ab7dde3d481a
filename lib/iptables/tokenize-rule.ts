/**
 * Shell-style tokenizer of one rule's text (everything after `-A CHAIN `) into options, match modules and target.
 *
 * Quoting follows iptables-restore's own word splitter (`add_param_to_argv` in iptables/xshared.c), not a POSIX shell:
 * - words are separated by spaces and tabs; runs of them count once (real output has `--nfacct-name  x`);
 * - a `"` opens a quoted run anywhere in a word, and the closing `"` ends the word (`"a b"c` is two words);
 * - inside quotes a backslash takes the next character literally (`\"` → `"`, `\\` → `\`), which is how
 *   iptables-save escapes comments; outside quotes a backslash and a `'` are ordinary characters.
 * iptables 1.8.9 silently runs an unterminated quote to the end of the line; we refuse it instead, because in a
 * capture it means the line was cut.
 *
 * The options of a rule come without a grammar of each extension, so arguments are assigned generically: every word
 * that is not an option (`-x`, `--xyz`) nor `!` belongs to the option before it. This keeps unknown modules lossless
 * (`-m foo --bar a b` → `--bar` with args `["a", "b"]`) and reads the unquoted multi-word comments of kube-proxy's test
 * style (`--comment kubernetes service portals`).
 *
 * Hand-written char-code loops: this runs once per rule on 230k-rule dumps, so no regex and no per-character
 * string building.
 */
import type { PacketCounters, RuleOption } from "./types";

const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const DASH = 45;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LEFT_BRACKET = 91;
const BACKSLASH = 92;

/** A rule's text split into what `Rule` holds about it. */
export interface TokenizedRule {
  /** The rule text, with inline `-c PKTS BYTES` cut out (unchanged when there was none). */
  text: string;
  options: RuleOption[];
  matchModules: string[];
  target: string | null;
  goto: boolean;
  /** Inline `-c PKTS BYTES` counters (`iptables -S -v`, restore input), else null. */
  counters: PacketCounters | null;
  /** Offset in `text` where the inline counters were cut out; undefined when there were none. */
  countersOffset: number | undefined;
  /** True when an address argument (`-s`, `-d`, `--to-destination [v6]:port`) is IPv6. */
  ipv6: boolean;
}

/** A tokenized rule, or why its text is not a rule (offset relative to the start of the text). */
export type TokenizeResult =
  | { ok: true; rule: TokenizedRule }
  | { ok: false; reason: string; offset: number };

/**
 * The rule's base options, owned by no module. iptables-save prints only the short forms; the long ones are accepted
 * because restore inputs may use them. They stay base options after `-m x` (`-m tcp -p tcp -d …` in kube-proxy's
 * test style).
 */
const BASE_OPTIONS = new Set([
  "-s", "--source", "--src",
  "-d", "--destination", "--dst",
  "-p", "--protocol",
  "-i", "--in-interface",
  "-o", "--out-interface",
  "-f", "--fragment",
  "-4", "--ipv4", "-6", "--ipv6",
]);

const ADDRESS_OPTIONS = new Set(["-s", "--source", "--src", "-d", "--destination", "--dst"]);
const NAT_ADDRESS_OPTIONS = new Set(["--to-destination", "--to-source", "--to"]);

/**
 * Frequent words, returned as shared strings instead of fresh copies: a 230k-rule dump holds ~2M option words and
 * most are these. (V8 copies every substring shorter than 13 characters.)
 */
const COMMON_WORDS: readonly string[] = [
  "-m", "-j", "-g", "-p", "-s", "-d", "-i", "-o", "!",
  "--comment", "comment", "tcp", "udp", "sctp", "--dport", "--sport", "statistic", "--mode", "random",
  "--probability", "KUBE-MARK-MASQ", "DNAT", "--to-destination", "RETURN", "ACCEPT", "DROP", "REJECT", "MARK",
  "MASQUERADE", "--random-fully", "mark", "--mark", "--set-xmark", "--or-mark", "--xor-mark", "addrtype",
  "--dst-type", "--src-type", "LOCAL", "recent", "--rcheck", "--set", "--seconds", "--reap", "--name", "--mask",
  "--rsource", "conntrack", "--ctstate", "multiport", "--dports", "nfacct", "--nfacct-name", "set", "--match-set",
  "physdev", "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING",
];

/** COMMON_WORDS grouped by length, then by first character, for a cheap lookup without building the substring. */
const COMMON_BY_LENGTH: Map<number, string[]> = (() => {
  const byLength = new Map<number, string[]>();
  for (const word of COMMON_WORDS) {
    const list = byLength.get(word.length) ?? [];
    list.push(word);
    byLength.set(word.length, list);
  }
  return byLength;
})();

/** `src.slice(start, end)`, sharing the string when it is a common word. */
function word(src: string, start: number, end: number): string {
  const candidates = COMMON_BY_LENGTH.get(end - start);
  if (candidates !== undefined) {
    const first = src.charCodeAt(start);
    for (const candidate of candidates) {
      if (candidate.charCodeAt(0) === first && src.startsWith(candidate, start)) return candidate;
    }
  }
  return src.slice(start, end);
}

/*
 * Scratch results of readWord. Module-level on purpose: returning a tuple per word would allocate ~2M short-lived
 * objects on a large dump. Nothing between a readWord call and the reads of these can re-enter the tokenizer.
 */
let wordEnd = 0;
let wordQuoted = false;
let wordUnterminated = false;

/** Reads the word starting at `start` (not whitespace); sets wordEnd/wordQuoted/wordUnterminated. */
function readWord(src: string, start: number, end: number): string {
  let i = start;
  while (i < end) {
    const c = src.charCodeAt(i);
    if (c === SPACE || c === TAB) break;
    if (c === QUOTE) return readQuotedWord(src, start, i, end);
    i++;
  }
  wordEnd = i;
  wordQuoted = false;
  wordUnterminated = false;
  return word(src, start, i);
}

/** The slow path of readWord: a word with a quoted run opening at `quote`. */
function readQuotedWord(src: string, start: number, quote: number, end: number): string {
  let value = src.slice(start, quote);
  let i = quote + 1;
  let runStart = i;
  while (i < end) {
    const c = src.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < end) {
      // Escapes are rare (a `"` or `\` inside a comment), so joining pieces here is cheap.
      value += src.slice(runStart, i) + src[i + 1];
      i += 2;
      runStart = i;
      continue;
    }
    if (c === QUOTE) {
      value += src.slice(runStart, i);
      wordEnd = i + 1;
      wordQuoted = true;
      wordUnterminated = false;
      return value;
    }
    i++;
  }
  wordEnd = end;
  wordQuoted = true;
  wordUnterminated = true;
  return value;
}

function isDigits(value: string): boolean {
  if (value.length === 0 || value.length > 20) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

function skipBlanks(src: string, i: number, end: number): number {
  while (i < end) {
    const c = src.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** What the next word must be, after an option that takes a fixed argument. */
const enum Expect {
  Any,
  ModuleName,
  TargetName,
  CounterPackets,
  CounterBytes,
}

function missingArgument(expect: Expect): string {
  switch (expect) {
    case Expect.ModuleName:
      return "-m needs a module name";
    case Expect.TargetName:
      return "-j/-g needs a target";
    default:
      return "-c needs packet and byte counts";
  }
}

function looksIPv6(option: string, value: string): boolean {
  if (ADDRESS_OPTIONS.has(option)) return value.indexOf(":") >= 0;
  if (NAT_ADDRESS_OPTIONS.has(option)) return value.charCodeAt(0) === LEFT_BRACKET;
  return false;
}

/** A word quoted in an error message, cut short. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/** Tokenizes a whole rule text (as in `Rule.text`); offsets in an error are relative to it. */
export function tokenizeRule(text: string): TokenizeResult {
  return tokenizeRuleRange(text, 0, text.length);
}

/**
 * Tokenizes `src[start, end)` — one rule's text inside a larger input, so the parser need not copy it first.
 * Error offsets are relative to `start`.
 */
export function tokenizeRuleRange(src: string, start: number, end: number): TokenizeResult {
  const options: RuleOption[] = [];
  const matchModules: string[] = [];
  let target: string | null = null;
  let goto = false;
  let ipv6 = false;

  /** Owner of the next non-base option: the last `-m` module, "target" after `-j`/`-g`. */
  let owner = "";
  /** `-p` argument: iptables loads it as an implicit match, so `-p tcp --dport 80` means `--dport` of `tcp`. */
  let protocol = "";
  /** The option that receives the following argument words. */
  let current: RuleOption | null = null;
  let expect = Expect.Any;
  /** Offset of the option that set `expect`, for the error when its argument is missing. */
  let expectAt = 0;
  let negateNext = false;
  let negateAt = 0;

  let counters: PacketCounters | null = null;
  let counterPackets = 0;
  let countersStart = -1;
  let countersEnd = -1;
  /** End of the word before the current one (start of the text when none), to cut a trailing `-c P B`. */
  let previousEnd = start;
  let lastEnd = start;
  let beforeCounters = start;

  const fail = (reason: string, at: number): TokenizeResult => ({ ok: false, reason, offset: at - start });

  let i = skipBlanks(src, start, end);
  while (i < end) {
    const wordStart = i;
    const value = readWord(src, i, end);
    if (wordUnterminated) return fail("unterminated quote", wordStart);
    i = skipBlanks(src, wordEnd, end);
    previousEnd = lastEnd;
    lastEnd = wordEnd;
    const quoted = wordQuoted;
    const first = value.charCodeAt(0);
    const isNegation = !quoted && value === "!";
    // `-1` is a (negative number) argument, not an option.
    const isOption =
      !quoted && first === DASH && value.length > 1 && !(value.charCodeAt(1) >= DIGIT_0 && value.charCodeAt(1) <= DIGIT_9);

    if (expect !== Expect.Any) {
      if (isOption || isNegation) return fail(missingArgument(expect), expectAt);
      switch (expect) {
        case Expect.ModuleName: {
          const option = options[options.length - 1] as RuleOption;
          option.args.push(value);
          matchModules.push(value);
          owner = value;
          break;
        }
        case Expect.TargetName: {
          const option = options[options.length - 1] as RuleOption;
          option.args.push(value);
          target = value;
          owner = "target";
          break;
        }
        case Expect.CounterPackets:
          if (!isDigits(value)) return fail("counter packets must be a number", wordStart);
          counterPackets = Number(value);
          expect = Expect.CounterBytes;
          continue;
        case Expect.CounterBytes:
          if (!isDigits(value)) return fail("counter bytes must be a number", wordStart);
          counters = { packets: counterPackets, bytes: Number(value) };
          // Cut `-c P B` and the blanks after it; when it ends the rule, cut the blanks before it instead.
          if (i < end) {
            countersEnd = i;
          } else {
            countersStart = beforeCounters;
            countersEnd = end;
          }
          break;
      }
      expect = Expect.Any;
      continue;
    }

    if (isNegation) {
      if (negateNext) return fail("multiple ! flags", wordStart);
      negateNext = true;
      negateAt = wordStart;
      continue;
    }

    if (!isOption) {
      if (current === null) return fail(`unexpected argument "${clip(value)}"`, wordStart);
      if (negateNext) {
        // Pre-1.4.3 syntax puts `!` after the option: `-s ! 10.0.0.1`, `--dport ! 80`.
        if (current.args.length > 0) return fail("! must precede an option", negateAt);
        current.negated = true;
        negateNext = false;
      }
      current.args.push(value);
      if (!ipv6) ipv6 = looksIPv6(current.name, value);
      if (current.name === "-p" || current.name === "--protocol") protocol = value.toLowerCase();
      continue;
    }

    const negated = negateNext;
    negateNext = false;
    switch (value) {
      case "-m":
      case "--match":
        current = null;
        options.push({ name: value, args: [], negated, owner: "" });
        expect = Expect.ModuleName;
        expectAt = wordStart;
        continue;
      case "-j":
      case "--jump":
      case "-g":
      case "--goto":
        if (target !== null) return fail("more than one target (-j/-g)", wordStart);
        if (negated) return fail("a target cannot be negated", negateAt);
        current = null;
        goto = value === "-g" || value === "--goto";
        options.push({ name: value, args: [], negated: false, owner: "" });
        expect = Expect.TargetName;
        expectAt = wordStart;
        continue;
      case "-c":
      case "--set-counters":
        if (countersStart >= 0) return fail("counters given twice", wordStart);
        if (negated) return fail("counters cannot be negated", negateAt);
        current = null;
        countersStart = wordStart;
        beforeCounters = previousEnd;
        expect = Expect.CounterPackets;
        expectAt = wordStart;
        continue;
    }
    const option: RuleOption = {
      name: value,
      args: [],
      negated,
      owner: BASE_OPTIONS.has(value) ? "" : owner !== "" ? owner : protocol,
    };
    options.push(option);
    current = option;
  }

  if (expect !== Expect.Any) return fail(missingArgument(expect), expectAt);
  if (negateNext) return fail("! at the end of the rule", negateAt);

  let text: string;
  let countersOffset: number | undefined;
  if (counters !== null) {
    text = src.slice(start, countersStart) + src.slice(countersEnd, end);
    countersOffset = countersStart - start;
  } else {
    text = src.slice(start, end);
  }
  return { ok: true, rule: { text, options, matchModules, target, goto, counters, countersOffset, ipv6 } };
}
