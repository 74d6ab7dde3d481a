/**
 * Structural problems of a ruleset, found from its chains alone: kube-proxy chains that nothing jumps to, and jumps
 * to kube-proxy chains that do not exist.
 *
 * The model is built from a whole dump. kube-proxy's partial-sync restore inputs leave unchanged chains out, so for
 * them these findings are expected; the caller knows which kind of input it has.
 */
import { ENDPOINT_CHAIN_PREFIX, isChainHash, splitServiceChainName } from "./chain-names";
import type { LadderFault } from "./probability";
import type { TableIndex } from "./table-index";
import type { ModelProblem } from "./types";

/** True for KUBE-SVC/SVL/EXT/FW/XLB/SEP chains: those kube-proxy creates per service port or endpoint. */
export function isServiceOrEndpointChain(name: string): boolean {
  if (name.startsWith(ENDPOINT_CHAIN_PREFIX)) return isChainHash(name.slice(ENDPOINT_CHAIN_PREFIX.length));
  return splitServiceChainName(name) !== null;
}

/** Orphan chains and dangling jumps of one table, in input order. */
export function findChainProblems(index: TableIndex): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const tableName = index.table?.name ?? "";
  const { order, jumped } = index;
  for (let k = 0; k < order.length; k++) {
    const chain = order[k]!;
    if (jumped[k] === 0 && isServiceOrEndpointChain(chain.name)) {
      problems.push({ kind: "orphan-chain", chain: chain.name, line: chain.line, message: "no rule jumps to this chain" });
    }
  }
  // Only kube-proxy's (and kubelet's KUBE-MARK-DROP) chains: other targets are extensions (DNAT, MARK, …) or chains
  // of other components, which a capture limited to one table may legitimately lack.
  if (index.missingTargets.size === 0) return problems;
  for (const chain of order) {
    for (const rule of chain.rules) {
      if (rule.target === null || !index.missingTargets.has(rule.target)) continue;
      problems.push({
        kind: "dangling-jump",
        chain: rule.target,
        line: rule.line,
        message: `${rule.chain} jumps to ${rule.target}, which does not exist in the ${tableName} table`,
      });
    }
  }
  return problems;
}

/** The faults of a balancing chain's ladder as problems: one per fault, all uneven shares in one. */
export function ladderProblems(
  chain: string,
  line: number | null,
  faults: readonly LadderFault[],
  servicePort: string | undefined,
): ModelProblem[] {
  if (faults.length === 0) return [];
  const base = { kind: "probability-ladder" as const, chain, ...(line === null ? {} : { line }), ...(servicePort === undefined ? {} : { servicePort }) };
  const problems: ModelProblem[] = [];
  const uneven: string[] = [];
  let expected = 0;
  for (const fault of faults) {
    switch (fault.kind) {
      case "falls-through":
        problems.push({ ...base, message: `the last balancing rule has a probability: ${percent(fault.lost)} of new connections match no endpoint` });
        break;
      case "unreachable":
        problems.push({ ...base, message: `a balancing rule without probability is not the last: rules from position ${fault.index + 1} on get no connections` });
        break;
      case "uneven":
        uneven.push(`endpoint ${fault.index + 1} gets ${percent(fault.share)}`);
        expected = fault.expected;
        break;
    }
  }
  if (uneven.length > 0) problems.push({ ...base, message: `uneven ladder: ${uneven.join(", ")} instead of ${percent(expected)} each` });
  return problems;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}
