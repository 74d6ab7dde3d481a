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
 * Options come without a grammar of each extension, so arguments are assigned generically: every word that is not
 * an option (`-x`, `--xyz`) nor `!` belongs to the option before it. This keeps unknown modules lossless
 * (`-m foo --bar a b` → `--bar` with args `["a", "b"]`) and reads the unquoted multi-word comments of kube-proxy's
 * test style (`--comment kubernetes service portals`). `-m`, `-j`/`-g` take exactly one word and `-c` two numbers.
 *
 * Speed and memory: this runs for every rule of 230k-rule dumps. Words are found with native `indexOf` (a JS loop
 * over every character costs more than the whole budget on a busy 2-core machine) into reused typed arrays, and an
 * option's strings are built only when its exact text (same owner) was not met before in the same parse: repeated
 * options (`-m comment`, `-p tcp`, `-j KUBE-MARK-MASQ`, `--mode random`, …) are one shared object, and so are equal
 * `matchModules` lists. Parsed rules are therefore read-only: mutating one would change every rule sharing it.
 */
import type { PacketCounters, RuleOption } from "./types";

const TAB = 9;
const SPACE = 32;
const BANG = 33;
const DASH = 45;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LEFT_BRACKET = 91;
const BACKSLASH = 92;

/** A rule's text split into what `Rule` holds about it (read-only: parts are shared, see the module comment). */
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
export type TokenizeResult = { ok: true; rule: TokenizedRule } | { ok: false; reason: string; offset: number };

/** Tokenizes a whole rule text (as in `Rule.text`); offsets in an error are relative to it. */
export function tokenizeRule(text: string): TokenizeResult {
  const context = newTokenizerContext(text);
  const out = context.tokens;
  if (!tokenizeRuleInto(context, 0, text.length)) return { ok: false, reason: out.error as string, offset: out.errorAt };
  const cut = out.cutStart >= 0;
  return {
    ok: true,
    rule: {
      text: cut ? text.slice(0, out.cutStart) + text.slice(out.cutEnd) : text,
      options: out.options,
      matchModules: out.matchModules,
      target: out.target,
      goto: out.goto,
      counters: out.counters,
      countersOffset: cut ? out.cutStart : undefined,
      ipv6: context.sawIPv6,
    },
  };
}

/** What tokenizeRuleInto leaves for the parser in `context.tokens` (one reused object: no wrapper per rule). */
export interface RuleTokens {
  options: RuleOption[];
  matchModules: string[];
  target: string | null;
  goto: boolean;
  counters: PacketCounters | null;
  /** Source range of an inline `-c P B` to cut out of the text (absolute offsets); -1 when none. */
  cutStart: number;
  cutEnd: number;
  /** Why the text is not a rule (null when it is one), and the absolute offset where. */
  error: string | null;
  errorAt: number;
}

/** Where the next occurrence of a character is, remembered between calls (rules are read in input order). */
interface NextIndex {
  needle: string;
  /** Position of the last query, and the first occurrence at or after it (`src.length` when none). */
  from: number;
  at: number;
}

/** Everything one parse shares between its rules: the input, scratch buffers and the option cache. */
export interface TokenizerContext {
  src: string;
  tokens: RuleTokens;
  /** Set once any rule carried an IPv6 address (cached options are not looked at twice). */
  sawIPv6: boolean;
  byName: Map<string, NameCache>;
  /** The same for names that are common words, by their index in COMMON_WORDS: no string to hash. */
  byCommonName: (NameCache | undefined)[];
  /** Module lists by their sequence: a trie whose nodes hold the shared `matchModules` arrays. */
  modules: ModuleNode;
  quote: NextIndex;
  tab: NextIndex;
  backslash: NextIndex;
  /** Word boundaries and kinds of the rule being tokenized. */
  starts: Int32Array;
  ends: Int32Array;
  kinds: Uint8Array;
  /** Options and module names of the rule being tokenized, copied out at its end. */
  ruleOptions: RuleOption[];
  ruleModules: string[];
  /** False when only rule texts are wanted (`ParseOptions.ruleOptions: false`): options are checked, not built. */
  detail: boolean;
}

/** The options and modules of every rule when the caller asked for texts only (shared, read-only). */
const NO_OPTIONS: RuleOption[] = [];
const NO_MODULES: string[] = [];

/**
 * Options built lately for one (owner, name) pair, with their exact source text (from the option word, or its `!`,
 * to the end of its last argument): the same text under the same owner always tokenizes to the same option, so
 * sharing is exact. Repetition in a dump is local — the two rules of a KUBE-SEP chain share their comment, every
 * KUBE-SVC chain repeats `! -s <pod CIDR>` and the probability ladder — so a small ring of recent texts, compared in
 * place, finds nearly every repeat without hashing and without a map that grows with the dump.
 */
interface NameCache {
  owner: string;
  /** Ring of recent source texts and their options. */
  texts: string[];
  options: RuleOption[];
  next: number;
  /** Non-negated options whose one argument is a common word, by that word's index: found without any compare. */
  byCommonArg: (RuleOption | undefined)[];
  /** The non-negated option without arguments (a flag such as `--rcheck`), once built. */
  flag: RuleOption | null;
  /** Caches of the same option name under other owners (rare: most names belong to one module). */
  otherOwners: NameCache | null;
  /**
   * Lookups and hits in the current window; while paused, occurrences left to build without looking. Where texts
   * stop repeating (`--to-destination` of each endpoint, `-j KUBE-SEP-…`), looking costs more than it saves.
   */
  lookups: number;
  hits: number;
  paused: number;
}

const RING_SIZE = 8;
const WINDOW = 128;
const MIN_HITS = WINDOW / 8;
const PAUSE = 2048;

interface ModuleNode {
  list: string[];
  next: Map<string, ModuleNode> | null;
}

/** A context for tokenizing rules of `src`; the parser makes one per input. */
export function newTokenizerContext(src: string, detail = true): TokenizerContext {
  return {
    src,
    tokens: {
      options: [],
      matchModules: [],
      target: null,
      goto: false,
      counters: null,
      cutStart: -1,
      cutEnd: -1,
      error: null,
      errorAt: 0,
    },
    sawIPv6: false,
    byName: new Map(),
    byCommonName: [],
    modules: { list: [], next: null },
    quote: { needle: '"', from: 0, at: -1 },
    tab: { needle: "\t", from: 0, at: -1 },
    backslash: { needle: "\\", from: 0, at: -1 },
    starts: new Int32Array(64),
    ends: new Int32Array(64),
    kinds: new Uint8Array(64),
    ruleOptions: [],
    ruleModules: [],
    detail,
  };
}

/** First occurrence of the needle at or after `i` (`src.length` when none), by native search amortized over calls. */
function nextIndex(src: string, next: NextIndex, i: number): number {
  if (i < next.from || next.at < i) {
    const found = src.indexOf(next.needle, i);
    next.at = found < 0 ? src.length : found;
  }
  next.from = i;
  return next.at;
}

/** True when `src[start, end)` holds a tab (iptables-save never writes one, so the fast path ignores tabs). */
export function hasTab(context: TokenizerContext, start: number, end: number): boolean {
  return nextIndex(context.src, context.tab, start) < end;
}

/**
 * Frequent words, returned as shared strings instead of fresh copies: a 230k-rule dump holds millions of option
 * words and most are these. (V8 copies every substring shorter than 13 characters.)
 */
const COMMON_WORDS: readonly string[] = [
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
function commonIndex(src: string, start: number, end: number): number {
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
function commonWord(src: string, start: number, end: number): string | null {
  const index = commonIndex(src, start, end);
  return index < 0 ? null : (COMMON_WORDS[index] as string);
}

/** `src.slice(start, end)`, sharing the string when it is a common word. */
function sharedSlice(src: string, start: number, end: number): string {
  return commonWord(src, start, end) ?? src.slice(start, end);
}

const PLAIN = 0;
const QUOTED = 1;
const NEGATION = 2;
const OPTION = 3;

function classifyPlain(src: string, start: number, end: number): number {
  const first = src.charCodeAt(start);
  if (first === BANG && end === start + 1) return NEGATION;
  if (first !== DASH || end === start + 1) return PLAIN;
  // `-1` is a (negative number) argument, not an option.
  const second = src.charCodeAt(start + 1);
  return second >= DIGIT_0 && second <= DIGIT_9 ? PLAIN : OPTION;
}

/** Position of the quote closing a run opened before `from`, or -1 when the run is not closed before `end`. */
function closingQuote(context: TokenizerContext, from: number, end: number): number {
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
function scanWords(context: TokenizerContext, start: number, end: number): number {
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

function growWords(context: TokenizerContext): void {
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
function wordValue(context: TokenizerContext, k: number): string {
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

function isDigitsWord(context: TokenizerContext, k: number): boolean {
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

/**
 * The rule's base options, owned by no module. iptables-save prints only the short forms; the long ones are accepted
 * because restore inputs may use them. They stay base options after `-m x` (`-m tcp -p tcp -d …` in kube-proxy's
 * test style).
 */
/** Long forms of the base options `-s -d -p -i -o -f -4 -6`. */
const BASE_LONG_OPTIONS: readonly string[] = [
  "--source", "--src", "--destination", "--dst", "--protocol", "--in-interface", "--out-interface", "--fragment",
  "--ipv4", "--ipv6",
];

const ADDRESS_OPTIONS = new Set(["-s", "--source", "--src", "-d", "--destination", "--dst"]);
const NAT_ADDRESS_OPTIONS = new Set(["--to-destination", "--to-source", "--to"]);

const SPECIAL_NONE = 0;
const SPECIAL_MODULE = 1;
const SPECIAL_TARGET = 2;
const SPECIAL_COUNTERS = 3;

/** Options with a fixed grammar: `-m NAME`, `-j/-g TARGET`, `-c PKTS BYTES` (short and long forms). */
function specialOption(src: string, start: number, length: number): number {
  if (length === 2) {
    switch (src.charCodeAt(start + 1)) {
      case 109 /* m */:
        return SPECIAL_MODULE;
      case 106 /* j */:
      case 103 /* g */:
        return SPECIAL_TARGET;
      case 99 /* c */:
        return SPECIAL_COUNTERS;
      default:
        return SPECIAL_NONE;
    }
  }
  if (length < 6 || src.charCodeAt(start + 1) !== DASH) return SPECIAL_NONE;
  if (length === 7 && src.startsWith("--match", start)) return SPECIAL_MODULE;
  if (length === 6 && (src.startsWith("--jump", start) || src.startsWith("--goto", start))) return SPECIAL_TARGET;
  if (length === 14 && src.startsWith("--set-counters", start)) return SPECIAL_COUNTERS;
  return SPECIAL_NONE;
}

function isBaseOption(src: string, start: number, length: number, common: number): boolean {
  if (length === 2) {
    switch (src.charCodeAt(start + 1)) {
      case 115 /* s */:
      case 100 /* d */:
      case 112 /* p */:
      case 105 /* i */:
      case 111 /* o */:
      case 102 /* f */:
      case 52 /* 4 */:
      case 54 /* 6 */:
        return true;
      default:
        return false;
    }
  }
  // No base option is a common word; the rest are compared in place (no substring per option name).
  if (common >= 0 || length < 5 || src.charCodeAt(start + 1) !== DASH) return false;
  for (const option of BASE_LONG_OPTIONS) {
    if (option.length === length && src.startsWith(option, start)) return true;
  }
  return false;
}

function missingArgument(special: number): string {
  if (special === SPECIAL_MODULE) return "-m needs a module name";
  if (special === SPECIAL_COUNTERS) return "-c needs packet and byte counts";
  return "-j/-g needs a target";
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

function fail(out: RuleTokens, reason: string, at: number): false {
  out.error = reason;
  out.errorAt = at;
  return false;
}

/**
 * The option spanning `src[spanStart, spanEnd)` under `owner`: word `nameWord` (COMMON_WORDS[`common`] when
 * `common` ≥ 0), then its arguments up to `argEnd`.
 */
function cachedOption(
  context: TokenizerContext,
  spanStart: number,
  spanEnd: number,
  owner: string,
  nameWord: number,
  common: number,
  argEnd: number,
  skipWord: number,
  negated: boolean,
): RuleOption {
  const { src } = context;
  let name: string;
  let entry: NameCache | undefined;
  if (common >= 0) {
    name = COMMON_WORDS[common] as string;
    entry = context.byCommonName[common];
    if (entry === undefined) {
      entry = newNameCache(owner);
      context.byCommonName[common] = entry;
    }
  } else {
    name = src.slice(context.starts[nameWord], context.ends[nameWord]);
    entry = context.byName.get(name);
    if (entry === undefined) {
      entry = newNameCache(owner);
      context.byName.set(name, entry);
    }
  }
  while (entry.owner !== owner) {
    if (entry.otherOwners === null) entry.otherOwners = newNameCache(owner);
    entry = entry.otherOwners;
  }
  if (!negated && skipWord < 0) {
    // The most repeated options, `-m comment`, `-p tcp`, `-j KUBE-MARK-MASQ`, `--rcheck`: no compare at all.
    if (argEnd === nameWord + 1) {
      entry.flag ??= buildOption(context, name, owner, nameWord, argEnd, skipWord, negated);
      return entry.flag;
    }
    if (argEnd === nameWord + 2 && context.kinds[nameWord + 1] === PLAIN) {
      const arg = commonIndex(src, context.starts[nameWord + 1] as number, context.ends[nameWord + 1] as number);
      if (arg >= 0) {
        let option = entry.byCommonArg[arg];
        if (option === undefined) {
          option = { name, args: [COMMON_WORDS[arg] as string], negated, owner };
          entry.byCommonArg[arg] = option;
        }
        return option;
      }
    }
  }
  if (entry.paused > 0) {
    entry.paused--;
    return buildOption(context, name, owner, nameWord, argEnd, skipWord, negated);
  }
  if (++entry.lookups === WINDOW) {
    if (entry.hits < MIN_HITS) entry.paused = PAUSE;
    entry.lookups = 0;
    entry.hits = 0;
  }
  const length = spanEnd - spanStart;
  const { texts } = entry;
  for (let k = 0; k < texts.length; k++) {
    const text = texts[k] as string;
    if (text.length === length && src.startsWith(text, spanStart)) {
      entry.hits++;
      return entry.options[k] as RuleOption;
    }
  }
  const option = buildOption(context, name, owner, nameWord, argEnd, skipWord, negated);
  texts[entry.next] = src.slice(spanStart, spanEnd);
  entry.options[entry.next] = option;
  entry.next = (entry.next + 1) % RING_SIZE;
  return option;
}

function newNameCache(owner: string): NameCache {
  return {
    owner,
    texts: [],
    options: [],
    next: 0,
    byCommonArg: [],
    flag: null,
    otherOwners: null,
    lookups: 0,
    hits: 0,
    paused: 0,
  };
}

function buildOption(
  context: TokenizerContext,
  name: string,
  owner: string,
  nameWord: number,
  argEnd: number,
  skipWord: number,
  negated: boolean,
): RuleOption {
  const first = skipWord === nameWord + 1 ? nameWord + 2 : nameWord + 1;
  let args: string[];
  if (argEnd - first === 1) {
    args = [wordValue(context, first)];
  } else {
    args = [];
    for (let k = first; k < argEnd; k++) args.push(wordValue(context, k));
  }
  if (!context.sawIPv6) {
    for (const value of args) if (looksIPv6(name, value)) context.sawIPv6 = true;
  }
  return { name, args, negated, owner };
}

function sharedModules(context: TokenizerContext): string[] {
  let node = context.modules;
  for (const moduleName of context.ruleModules) {
    if (node.next === null) node.next = new Map();
    let child = node.next.get(moduleName);
    if (child === undefined) {
      child = { list: [...node.list, moduleName], next: null };
      node.next.set(moduleName, child);
    }
    node = child;
  }
  return node.list;
}

/**
 * Tokenizes `context.src[start, end)` — one rule's text inside the whole input, so nothing is copied first — into
 * `context.tokens`. Returns false with `tokens.error`/`tokens.errorAt` (absolute offset) when it is not a rule.
 */
export function tokenizeRuleInto(context: TokenizerContext, start: number, end: number): boolean {
  const out = context.tokens;
  const { src } = context;
  out.target = null;
  out.goto = false;
  out.counters = null;
  out.cutStart = -1;
  out.cutEnd = -1;
  out.error = null;
  const options = context.ruleOptions;
  options.length = 0;
  context.ruleModules.length = 0;

  const count = scanWords(context, start, end);
  if (count < 0) return fail(out, "unterminated quote", -1 - count);
  // Read after scanWords, which may have grown them.
  const { starts, ends, kinds } = context;

  /** Owner of the next non-base option: the last `-m` module, "target" after `-j`/`-g`. */
  let owner = "";
  /** `-p` argument: iptables loads it as an implicit match, so `-p tcp --dport 80` means `--dport` of `tcp`. */
  let protocol = "";
  let k = 0;
  while (k < count) {
    const spanStart = starts[k] as number;
    let negated = false;
    if (kinds[k] === NEGATION) {
      if (k + 1 >= count) return fail(out, "! at the end of the rule", spanStart);
      if (kinds[k + 1] === NEGATION) return fail(out, "multiple ! flags", starts[k + 1] as number);
      if (kinds[k + 1] !== OPTION) return fail(out, "! must precede an option", spanStart);
      negated = true;
      k++;
    } else if (kinds[k] !== OPTION) {
      return fail(out, `unexpected argument "${clip(wordValue(context, k))}"`, spanStart);
    }

    const nameWord = k;
    const nameStart = starts[k] as number;
    const nameLength = (ends[k] as number) - nameStart;
    // Pre-1.4.3 syntax puts `!` after the option: `-s ! 10.0.0.1`, `--dport ! 80`.
    let skipWord = -1;
    let j = k + 1;
    if (!negated && j + 1 < count && kinds[j] === NEGATION && kinds[j + 1]! <= QUOTED) {
      negated = true;
      skipWord = j;
      j++;
    }
    while (j < count && kinds[j]! <= QUOTED) j++;
    const argCount = j - k - 1 - (skipWord >= 0 ? 1 : 0);
    const firstArg = skipWord >= 0 ? k + 2 : k + 1;
    const spanEnd = ends[j - 1] as number;
    const special = specialOption(src, nameStart, nameLength);

    if (special === SPECIAL_COUNTERS) {
      if (out.cutStart >= 0) return fail(out, "counters given twice", nameStart);
      if (negated) return fail(out, "counters cannot be negated", spanStart);
      if (argCount < 2) return fail(out, missingArgument(special), nameStart);
      if (!isDigitsWord(context, firstArg)) return fail(out, "counter packets must be a number", starts[firstArg]!);
      if (!isDigitsWord(context, firstArg + 1)) return fail(out, "counter bytes must be a number", starts[firstArg + 1]!);
      if (argCount > 2) {
        return fail(out, `unexpected argument "${clip(wordValue(context, firstArg + 2))}"`, starts[firstArg + 2]!);
      }
      out.counters = {
        packets: readNumber(src, starts[firstArg]!, ends[firstArg]!),
        bytes: readNumber(src, starts[firstArg + 1]!, ends[firstArg + 1]!),
      };
      // Cut `-c P B` and the blanks after it; when it ends the rule, cut the blanks before it instead.
      if (j < count) {
        out.cutStart = nameStart;
        out.cutEnd = starts[j]!;
      } else {
        out.cutStart = k > 0 ? ends[k - 1]! : start;
        out.cutEnd = end;
      }
      k = j;
      continue;
    }

    if (special !== SPECIAL_NONE) {
      if (argCount === 0) return fail(out, missingArgument(special), nameStart);
      if (argCount > 1) {
        return fail(out, `unexpected argument "${clip(wordValue(context, firstArg + 1))}"`, starts[firstArg + 1]!);
      }
      if (special === SPECIAL_TARGET) {
        if (out.target !== null) return fail(out, "more than one target (-j/-g)", nameStart);
        if (negated) return fail(out, "a target cannot be negated", spanStart);
      }
    }

    if (!context.detail) {
      // Texts only: the rule is checked as fully as ever, but no option is built; the target is still read.
      if (special === SPECIAL_TARGET) {
        out.target = wordValue(context, firstArg);
        out.goto = nameLength === 2 ? src.charCodeAt(nameStart + 1) === 103 /* g */ : src.startsWith("--goto", nameStart);
      }
      k = j;
      continue;
    }
    const common = commonIndex(src, nameStart, nameStart + nameLength);
    const base = special !== SPECIAL_NONE || isBaseOption(src, nameStart, nameLength, common);
    const owned = base ? "" : owner !== "" ? owner : protocol;
    const option = cachedOption(context, spanStart, spanEnd, owned, nameWord, common, j, skipWord, negated);
    options.push(option);
    if (special === SPECIAL_MODULE) {
      owner = option.args[0] as string;
      context.ruleModules.push(owner);
    } else if (special === SPECIAL_TARGET) {
      out.target = option.args[0] as string;
      out.goto = option.name === "-g" || option.name === "--goto";
      owner = "target";
    } else if (nameLength === 2 ? src.charCodeAt(nameStart + 1) === 112 /* p */ : option.name === "--protocol") {
      protocol = (option.args[0] ?? "").toLowerCase();
    }
    k = j;
  }
  out.options = context.detail ? options.slice() : NO_OPTIONS;
  out.matchModules = context.detail ? sharedModules(context) : NO_MODULES;
  return true;
}
