/**
 * Table-wide checks of a kube-proxy nftables table: gotos and jumps to chains that do not exist, per-service chains
 * nothing reaches, names whose hash is not kube-proxy's, and rules of per-service chains natwatch cannot read.
 */
import type { ModelProblem } from "../kube-proxy/types";
import type { NftTableIndex } from "./nft-table-index";

/** Every chain something jumps to, gotos or maps to, and every set a rule names. */
function collectReferences(index: NftTableIndex): { chains: Set<string>; problems: ModelProblem[] } {
  const chains = new Set<string>();
  const problems: ModelProblem[] = [];
  const refer = (from: string, target: string, line: number, via: string) => {
    chains.add(target);
    if (!index.chains.has(target)) {
      problems.push({ kind: "dangling-jump", chain: from, line, message: `${via} to chain ${target}, which does not exist` });
    }
  };
  for (const chain of index.table.chains) {
    for (const rule of chain.rules) {
      const view = index.views.get(rule)!;
      if (view.verdict?.chain) refer(chain.name, view.verdict.chain, rule.line, view.verdict.kind);
      for (const entry of view.vmap ?? []) refer(chain.name, entry.verdict.chain!, rule.line, `vmap entry ${entry.index} ${entry.verdict.kind}`);
      for (const set of view.setRefs) {
        if (!index.sets.has(set)) {
          problems.push({ kind: "dangling-jump", chain: chain.name, line: rule.line, message: `@${set} names a set that does not exist` });
        }
      }
    }
  }
  for (const set of index.table.sets) {
    for (const element of set.elements) {
      if (element.verdict?.chain) refer(set.name, element.verdict.chain, element.line, `${set.name} element ${element.key} ${element.verdict.kind}`);
    }
  }
  return { chains, problems };
}

/** Problems of the table as a whole; service-port-level problems come from the model builder. */
export function findNftProblems(index: NftTableIndex): ModelProblem[] {
  const { chains: referenced, problems } = collectReferences(index);
  for (const [name, parts] of index.names) {
    const servicePort = parts.servicePortName;
    if (!parts.hashMatches && !parts.truncated) {
      problems.push({
        kind: "chain-name-mismatch",
        chain: name,
        servicePort,
        message: `${parts.hash} is not kube-proxy's hash of '${name.slice(name.indexOf("-") + 10)}'`,
      });
    }
    if (parts.kind === "affinity") continue;
    const chain = index.chains.get(name)!;
    if (!referenced.has(name)) {
      problems.push({
        kind: "orphan-chain",
        chain: name,
        servicePort,
        message:
          chain.rules.length === 0
            ? `${name} is empty and nothing reaches it: a stale chain kube-proxy flushed and deletes on a later sync`
            : `nothing jumps, goes or maps to ${name}`,
      });
    }
    for (const rule of chain.rules) {
      if (!index.views.get(rule)!.understood) {
        problems.push({ kind: "unparsed-rule", chain: name, line: rule.line, servicePort, message: `rule not in a shape kube-proxy writes: ${rule.text}` });
      }
    }
  }
  return problems;
}
