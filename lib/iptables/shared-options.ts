/**
 * Sharing of equal options between the rules of one parse.
 *
 * A 230k-rule dump holds about a million options, and most repeat: `-m comment`, `-p tcp`, `-j KUBE-MARK-MASQ`,
 * `--mode random`, the probability ladder, `! -s <pod CIDR>` in every KUBE-SVC chain, the comment both rules of a
 * KUBE-SEP chain carry. Building each once and sharing it keeps the parse fast and its result small; the price is
 * that parsed rules are read-only (see types.ts).
 */
import * as words from "./rule-words";
import type { WordScanner } from "./rule-words";
import type { RuleOption } from "./types";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { COMMON_WORDS, PLAIN, commonIndex, wordValue } = words;

const LEFT_BRACKET = 91;

/** What one parse remembers to share options and module lists. */
export interface OptionSharing {
  /** Options by name (names that are not common words). */
  byName: Map<string, NameCache>;
  /** The same for names that are common words, by their index in COMMON_WORDS: no string to hash. */
  byCommonName: (NameCache | undefined)[];
  /** Module lists by their sequence: a trie whose nodes hold the shared `matchModules` arrays. */
  modules: ModuleNode;
  /** Module names of the rule being tokenized. */
  ruleModules: string[];
  /** Set once any built option carried an IPv6 address (shared options are not looked at twice). */
  sawIPv6: boolean;
}

type SharingContext = WordScanner & OptionSharing;

export function newOptionSharing(): OptionSharing {
  return { byName: new Map(), byCommonName: [], modules: { list: [], next: null }, ruleModules: [], sawIPv6: false };
}

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

const ADDRESS_OPTIONS = new Set(["-s", "--source", "--src", "-d", "--destination", "--dst"]);
const NAT_ADDRESS_OPTIONS = new Set(["--to-destination", "--to-source", "--to"]);


function looksIPv6(option: string, value: string): boolean {
  if (ADDRESS_OPTIONS.has(option)) return value.indexOf(":") >= 0;
  if (NAT_ADDRESS_OPTIONS.has(option)) return value.charCodeAt(0) === LEFT_BRACKET;
  return false;
}

/**
 * The option spanning `src[spanStart, spanEnd)` under `owner`: word `nameWord` (COMMON_WORDS[`common`] when
 * `common` ≥ 0), then its arguments up to `argEnd`.
 */
export function cachedOption(
  context: SharingContext,
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
  context: SharingContext,
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

export function sharedModules(context: SharingContext): string[] {
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
