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
import { effectiveShares, ladderFaults, type LadderFault } from "./probability";
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
    const scanned = scanRuleText(rule.text);
    if (scanned.hasToDestination) return scanned.firstToDestination;
  }
  return null;
}

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
    const { probabilityText, comment } = scanned;
    const probability = probabilityText === null ? null : Number(probabilityText);
    const endpointChain = indexed?.endpointJumps?.[r]?.chain ?? null;
    const destination = endpointChain === null ? null : dnatDestination(endpointChain.rules);
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

  const ladder = rungs.map((r) => r.probability);
  const shares = effectiveShares(ladder);
  rungs.forEach((rung, i) => {
    rung.share = shares[i]!;
    const returning = affinity?.get(rung.sepChain);
    if (returning !== undefined) {
      rung.packets += returning.packets;
      rung.bytes += returning.bytes;
    }
  });
  return {
    chain,
    rungs,
    affinitySeconds,
    faults: ladderFaults(ladder),
    line: rungs[0]?.line ?? null,
    unexpected,
  };
}
