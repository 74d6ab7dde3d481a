import { diffLines } from "./diff-lines";
import type { ChainRef, ChainText, ChangedChain, RulesetDiff } from "./types";

const chainKey = (c: { table: string; chain: string }) => `${c.table}\u0000${c.chain}`;

const byTableThenChain = (x: { table: string; chain: string }, y: { table: string; chain: string }) =>
  x.table < y.table ? -1 : x.table > y.table ? 1 : x.chain < y.chain ? -1 : x.chain > y.chain ? 1 : 0;

const toRef = (c: ChainText): ChainRef => ({ table: c.table, chain: c.chain, digest: c.digest, ruleCount: c.rules.length });

/**
 * Compares two rulesets chain by chain. Chains are matched by (table, name); equal digests short-circuit, so the
 * cost is one map lookup per unchanged chain plus a line diff per changed one.
 */
export function diffRulesets(before: readonly ChainText[], after: readonly ChainText[]): RulesetDiff {
  const beforeByKey = new Map<string, ChainText>();
  for (const chain of before) beforeByKey.set(chainKey(chain), chain);

  const added: ChainRef[] = [];
  const changed: ChangedChain[] = [];
  let unchanged = 0;
  const seen = new Set<string>();

  for (const next of after) {
    const key = chainKey(next);
    seen.add(key);
    const prev = beforeByKey.get(key);
    if (!prev) {
      added.push(toRef(next));
    } else if (prev.digest === next.digest) {
      unchanged++;
    } else {
      changed.push(diffChain(prev, next));
    }
  }
  const removed = before.filter((c) => !seen.has(chainKey(c))).map(toRef);

  return {
    added: added.sort(byTableThenChain),
    removed: removed.sort(byTableThenChain),
    changed: changed.sort(byTableThenChain),
    unchanged,
  };
}

/** Rule-level diff of one chain present on both sides. */
export function diffChain(before: ChainText, after: ChainText): ChangedChain {
  const edits = diffLines(before.rules, after.rules);
  let addedCount = 0;
  let removedCount = 0;
  for (const edit of edits) {
    if (edit.op === "add") addedCount++;
    else if (edit.op === "remove") removedCount++;
  }
  return {
    table: after.table,
    chain: after.chain,
    beforeDigest: before.digest,
    afterDigest: after.digest,
    edits,
    added: addedCount,
    removed: removedCount,
  };
}
