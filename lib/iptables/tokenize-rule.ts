/**
 * Tokenizer of one rule's text (everything after `-A CHAIN `) into options, match modules and target.
 *
 * Words are split as iptables-restore splits them (rule-words.ts). Options come without a grammar of each
 * extension, so arguments are assigned generically: every word that is not an option (`-x`, `--xyz`) nor `!`
 * belongs to the option before it. This keeps unknown modules lossless (`-m foo --bar a b` → `--bar` with args
 * `["a", "b"]`) and reads the unquoted multi-word comments of kube-proxy's test style (`--comment kubernetes service
 * portals`). `-m`, `-j`/`-g` take exactly one word and `-c` two numbers, as iptables insists.
 *
 * Equal options are shared between the rules of one parse (shared-options.ts), so parsed rules are read-only.
 */
import * as names from "./option-names";
import * as plain from "./plain-rule";
import * as sharing from "./shared-options";
import type { OptionSharing } from "./shared-options";
import * as words from "./rule-words";
import type { WordScanner } from "./rule-words";
import type { PacketCounters, RuleOption } from "./types";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { ADDRESS_NAT, ADDRESS_NONE, SPECIAL_COUNTERS, SPECIAL_MODULE, SPECIAL_NONE, SPECIAL_TARGET, addressOption, specialOption } = names;
const { readPlainRule } = plain;
const { cachedOption, newOptionSharing, sharedModules } = sharing;
const { NEGATION, OPTION, QUOTED, commonIndex, hasTab, isDigitsWord, newWordScanner, readNumber, scanWords, sharedSlice, wordValue } =
  words;

const DASH = 45;

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
      target: tokenTarget(context),
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
  /**
   * Where the target was written, when the texts-only pass read it in place (absolute offsets; -1 otherwise): `target`
   * is then left null, and the caller takes the word (see {@link tokenTarget}), which spares a string the parser may
   * replace by the declared chain name.
   */
  targetStart: number;
  targetEnd: number;
  /** Why the text is not a rule (null when it is one), and the absolute offset where. */
  error: string | null;
  errorAt: number;
}

/** Everything one parse shares between its rules: the input, scratch buffers and the option cache. */
export interface TokenizerContext extends WordScanner, OptionSharing {
  tokens: RuleTokens;
  /** Options of the rule being tokenized, copied out at its end. */
  ruleOptions: RuleOption[];
  /** False when only rule texts are wanted (`ParseOptions.ruleOptions: false`): options are checked, not built. */
  detail: boolean;
}

/** The options and modules of every rule when the caller asked for texts only (shared, read-only). */
const NO_OPTIONS: RuleOption[] = [];
const NO_MODULES: string[] = [];

/** The target of the rule just tokenized, wherever tokenizeRuleInto left it. */
export function tokenTarget(context: TokenizerContext): string | null {
  const { tokens } = context;
  return tokens.targetStart >= 0 ? sharedSlice(context.src, tokens.targetStart, tokens.targetEnd) : tokens.target;
}

/** A context for tokenizing rules of `src`; the parser makes one per input. */
export function newTokenizerContext(src: string, detail = true): TokenizerContext {
  // One literal with every field (not spreads): V8 gives it a fast, stable shape for the hot property reads.
  const scanner = newWordScanner(src);
  const sharing = newOptionSharing();
  return {
    src,
    quote: scanner.quote,
    tab: scanner.tab,
    backslash: scanner.backslash,
    starts: scanner.starts,
    ends: scanner.ends,
    kinds: scanner.kinds,
    byName: sharing.byName,
    byCommonName: sharing.byCommonName,
    modules: sharing.modules,
    ruleModules: sharing.ruleModules,
    sawIPv6: sharing.sawIPv6,
    tokens: {
      options: [],
      matchModules: [],
      target: null,
      goto: false,
      counters: null,
      cutStart: -1,
      cutEnd: -1,
      targetStart: -1,
      targetEnd: -1,
      error: null,
      errorAt: 0,
    },
    ruleOptions: [],
    detail,
  };
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

/**
 * True when the option's arguments hold an IPv6 address, as `looksIPv6` in shared-options.ts decides for built
 * options: a `:` in an `-s`/`-d` address, a `[` opening a NAT `--to-destination`/`--to-source`/`--to` address.
 * Only options with those names are looked at, and their words in place (a quoted word only when it needs unquoting).
 */
function carriesIPv6(context: TokenizerContext, nameStart: number, nameLength: number, firstArg: number, argEnd: number): boolean {
  const kind = addressOption(context.src, nameStart, nameLength);
  if (kind === ADDRESS_NONE) return false;
  const { src, starts, ends, kinds } = context;
  for (let k = firstArg; k < argEnd; k++) {
    if (kind === ADDRESS_NAT) {
      const first = kinds[k] === QUOTED ? wordValue(context, k).charCodeAt(0) : src.charCodeAt(starts[k]!);
      if (first === LEFT_BRACKET) return true;
    } else {
      // Unquoting keeps every `:` of a word, so the raw word tells (searched within the word: a search of the whole
      // input for a `:` that may never come would make the parse quadratic).
      for (let i = starts[k]!; i < ends[k]!; i++) if (src.charCodeAt(i) === COLON) return true;
    }
  }
  return false;
}

const LEFT_BRACKET = 91;
const COLON = 58;

function missingArgument(special: number): string {
  if (special === SPECIAL_MODULE) return "-m needs a module name";
  if (special === SPECIAL_COUNTERS) return "-c needs packet and byte counts";
  return "-j/-g needs a target";
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
  out.targetStart = -1;
  out.error = null;
  if (!context.detail) {
    out.options = NO_OPTIONS;
    out.matchModules = NO_MODULES;
    // Texts only, and no tab: one pass over the words (plain-rule.ts); anything unusual comes back here.
    if (!hasTab(context, start, end) && readPlainRule(context, start, end)) return true;
    out.target = null;
    out.goto = false;
    out.targetStart = -1;
  }
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
      // Texts only: the rule is checked as fully as ever, but no option is built; the target and family are still read.
      if (!context.sawIPv6 && argCount > 0 && carriesIPv6(context, nameStart, nameLength, firstArg, j)) context.sawIPv6 = true;
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
