/**
 * Reading a balancing chain (KUBE-SVC, KUBE-SVL, or an old KUBE-XLB that balances local endpoints itself):
 * its ladder of `-j KUBE-SEP-…` rules, session affinity, and each endpoint's DNAT destination.
 *
 * With ClientIP affinity kube-proxy writes, before the ladder, one `-m recent --name KUBE-SEP-X --rcheck --seconds T
 * --reap -j KUBE-SEP-X` rule per endpoint. Those rules have no probability but are not the ladder's catch-all: they
 * send a returning client to the endpoint it had, and only connections that match none reach the ladder.
 */
import type { Chain, PacketCounters, Rule } from "../iptables/types";
import { ENDPOINT_CHAIN_PREFIX } from "./chain-names";
import { effectiveShares, ladderFaults, probabilityNumber, type LadderFault } from "./probability";
import { readComment, readRuleFacts, type RuleFacts } from "./rule-facts";
import * as scanning from "./scan-rule-text";
import { chainRules, indexedChain, type TableIndex } from "./table-index";

/** One rung of the ladder. */
export interface LadderRung {
  sepChain: string;
  /** DNAT destination of the endpoint chain; the `-> ip:port` of the comment when the chain has none; else "". */
  address: string;
  /** True when `address` comes from the endpoint chain's DNAT rule. */
  addressFromChain: boolean;
  probabilityText: string | null;
  probability: number | null;
  share: number;
  /** Counters of the rung plus those of its affinity rule: new connections this chain sent to the endpoint. */
  packets: number;
  bytes: number;
  line: number;
  /** The endpoint chain itself, null when the rung jumps to a chain the table lacks. */
  endpointChain: Chain | null;
}

export interface BalancingChain {
  chain: string;
  rungs: LadderRung[];
  /** `--seconds` of the affinity rules, or null without affinity. */
  affinitySeconds: number | null;
  faults: LadderFault[];
  /** Line of the first ladder rule, for problems about the ladder. */
  line: number | null;
  /** Rules that jump somewhere a balancing chain should not (kept out of the model, reported). */
  unexpected: RuleFacts[];
}

/* Read once into a module constant: bundlers and vitest compile each use of an imported binding into a getter call. */
const { scanRuleText } = scanning;

/** Targets a balancing chain may hold besides endpoint chains. */
const EXPECTED_TARGETS = /^(KUBE-MARK-MASQ|KUBE-MARK-DROP|KUBE-SVC-|KUBE-SVL-|KUBE-EXT-|KUBE-XLB-|KUBE-FW-)/;

/**
 * The DNAT destination of an endpoint chain's rules, or null when it has none. Read from the rules directly, without
 * facts: endpoint chains hold most rules of a large dump, and this is all the model needs of them.
 */
function dnatDestination(rules: readonly Rule[]): string | null {
  for (const rule of rules) {
    if (rule.target !== "DNAT") continue;
    const written = writtenDestination(rule.text);
    if (written !== undefined) return written;
    const scanned = scanRuleText(rule.text);
    if (scanned.hasToDestination) return scanned.firstToDestination;
  }
  return null;
}

/** The probability of the last rung {@link readPlainRung} read (null for the catch-all rung). */
let plainRungProbability: string | null = null;

const COMMENT_PREFIX = "-m comment --comment ";
const STATISTIC_PREFIX = "-m statistic --mode random --probability ";

/**
 * Reads a ladder rung written as kube-proxy writes it — `[-m comment --comment C] -m statistic --mode random
 * --probability P -j TARGET`, or the catch-all `[-m comment --comment C] -j TARGET` — into
 * {@link plainRungProbability}; false for any other spelling, which the scan reads. Such a rung checks no affinity,
 * and its probability is P as the scan would read it. Its comment is left to the scan, for the rare rung whose
 * endpoint chain holds no DNAT rule.
 */
function readPlainRung(text: string, target: string): boolean {
  if (text.indexOf("\\") >= 0 || text.indexOf("\t") >= 0) return false;
  let pos = 0;
  if (text.startsWith(COMMENT_PREFIX)) {
    const arg = COMMENT_PREFIX.length;
    const first = text.charCodeAt(arg);
    let end: number;
    if (first === QUOTE) {
      end = text.indexOf('"', arg + 1) + 1;
      if (end === 0) return false;
    } else {
      if (first === BANG || first === DASH) return false;
      end = text.indexOf(" ", arg);
    }
    if (end <= arg || text.charCodeAt(end) !== SPACE) return false;
    pos = end + 1;
  }
  // A quote anywhere else would open a quoted run the words below do not know of.
  if (text.indexOf('"', pos) >= 0 || (pos > 0 && text.charCodeAt(COMMENT_PREFIX.length) !== QUOTE && text.indexOf('"') >= 0)) {
    return false;
  }
  plainRungProbability = null;
  if (text.startsWith(STATISTIC_PREFIX, pos)) {
    const start = pos + STATISTIC_PREFIX.length;
    let end = start;
    for (let c = text.charCodeAt(end); (c >= 48 && c <= 57) || c === 46; c = text.charCodeAt(++end));
    if (end === start) return false;
    plainRungProbability = text.slice(start, end);
    pos = end + 1;
    if (text.charCodeAt(end) !== SPACE) return false;
  }
  return text.length === pos + 3 + target.length && text.startsWith("-j ", pos) && text.endsWith(target);
}

const DNAT_TO = "-j DNAT --to-destination ";

/**
 * The destination of a DNAT rule written as kube-proxy writes it, `… -j DNAT --to-destination ADDRESS`, read without
 * a scan of the whole rule; undefined for any other spelling, which the scan reads. Only there is the address
 * certainly the target's first `--to-destination` (scan-rule-text.ts): the words are outside quotes (no quote
 * follows them, and a parsed rule closes every quote), `-j` is the rule's one target, and the address is a plain
 * word, alone after the option.
 */
function writtenDestination(text: string): string | undefined {
  const at = text.indexOf(DNAT_TO);
  if (at < 0 || (at > 0 && text.charCodeAt(at - 1) !== SPACE)) return undefined;
  const start = at + DNAT_TO.length;
  if (text.indexOf('"', at) >= 0 || text.indexOf("\\") >= 0 || text.indexOf("\t") >= 0) return undefined;
  let end = text.indexOf(" ", start);
  if (end < 0) end = text.length;
  const first = text.charCodeAt(start);
  if (end === start || first === BANG || first === DASH) return undefined;
  return text.slice(start, end);
}

const SPACE = 32;
const BANG = 33;
const QUOTE = 34;
const DASH = 45;

/** True when the chain jumps to endpoint chains itself (a KUBE-SVC/SVL chain, or an old KUBE-XLB with local endpoints). */
export function balancesItself(index: TableIndex, chain: string): boolean {
  return chainRules(index, chain).some((rule) => rule.target?.startsWith(ENDPOINT_CHAIN_PREFIX) === true);
}

/**
 * Reads the ladder of a balancing chain. Its rules are scanned here directly (no facts objects): on a large node they
 * are most of the rules the model reads, and the ladder needs only their affinity check, probability and comment.
 */
export function readBalancingChain(index: TableIndex, chain: string): BalancingChain {
  const rungs: LadderRung[] = [];
  let affinity: Map<string, PacketCounters> | null = null;
  const unexpected: RuleFacts[] = [];
  let affinitySeconds: number | null = null;

  const indexed = indexedChain(index, chain);
  const rules = indexed?.chain.rules ?? [];
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!;
    const target = rule.target;
    if (target === null) continue;
    if (!target.startsWith(ENDPOINT_CHAIN_PREFIX)) {
      if (!EXPECTED_TARGETS.test(target)) unexpected.push(readRuleFacts(rule));
      continue;
    }
    let probabilityText: string | null;
    let comment: string | null = null;
    let commentRead = false;
    if (readPlainRung(rule.text, target)) {
      probabilityText = plainRungProbability;
    } else {
      const scanned = scanRuleText(rule.text);
      if (scanned.recentCheck) {
        affinitySeconds ??= scanned.recentSeconds;
        affinity ??= new Map();
        const previous = affinity.get(target);
        affinity.set(target, {
          packets: (previous?.packets ?? 0) + (rule.counters?.packets ?? 0),
          bytes: (previous?.bytes ?? 0) + (rule.counters?.bytes ?? 0),
        });
        continue;
      }
      // Taken out of the scan before the endpoint chain's DNAT rule is scanned with the same scratch.
      probabilityText = scanned.probabilityText;
      comment = scanned.comment;
      commentRead = true;
    }
    const probability = probabilityText === null ? null : probabilityNumber(probabilityText);
    const endpointChain = indexed?.endpointJumps?.[r] ?? null;
    const destination = endpointChain === null ? null : dnatDestination(endpointChain.rules);
    if (destination === null && !commentRead) comment = scanRuleText(rule.text).comment;
    rungs.push({
      sepChain: target,
      // The `-> ip:port` of the comment, when the endpoint chain has no DNAT rule to say it.
      address: destination ?? (comment === null ? null : readComment(comment)?.endpoint) ?? "",
      addressFromChain: destination !== null,
      probabilityText,
      probability: probability !== null && Number.isFinite(probability) ? probability : null,
      share: 0,
      packets: rule.counters?.packets ?? 0,
      bytes: rule.counters?.bytes ?? 0,
      line: rule.line,
      endpointChain,
    });
  }

  const ladder = new Array<number | null>(rungs.length);
  for (let i = 0; i < rungs.length; i++) ladder[i] = rungs[i]!.probability;
  const shares = effectiveShares(ladder);
  for (let i = 0; i < rungs.length; i++) {
    const rung = rungs[i]!;
    rung.share = shares[i]!;
    const returning = affinity === null ? undefined : affinity.get(rung.sepChain);
    if (returning !== undefined) {
      rung.packets += returning.packets;
      rung.bytes += returning.bytes;
    }
  }
  return {
    chain,
    rungs,
    affinitySeconds,
    faults: ladderFaults(ladder, shares),
    line: rungs[0]?.line ?? null,
    unexpected,
  };
}
