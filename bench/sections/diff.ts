/** DESIGN.md budget: diff of two 10k-service snapshots differing in 1% of services under 100 ms. */
import { chainDigest, normalizedChainBody } from "../../lib/iptables/chain-digest";
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import type { IptablesDump } from "../../lib/iptables/types";
import { buildProxyModel } from "../../lib/kube-proxy/build-service-model";
import { diffRulesets } from "../../lib/diff/diff-rulesets";
import { diffServiceModels } from "../../lib/diff/diff-service-models";
import type { ChainText } from "../../lib/diff/types";
import { generateServices, mutateServices, renderServicesDump } from "../generate-nat-dump";
import type { BenchSection } from "../report";
import { fmtMs, median } from "../stats";

function parse(text: string): IptablesDump {
  const parsed = parseIptablesSave(text);
  if (!parsed.ok) throw new Error(`bench dump does not parse: ${JSON.stringify(parsed.error)}`);
  return parsed.dump;
}

function chainTexts(dump: IptablesDump): ChainText[] {
  return dump.tables.flatMap((table) =>
    table.chains.map((chain) => ({ table: table.name, chain: chain.name, digest: chainDigest(chain), rules: normalizedChainBody(chain).split("\n") })),
  );
}

function timeRuns(runs: number, work: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    work();
    times.push(performance.now() - t0);
  }
  return times;
}

export function diffSection(): BenchSection {
  const services = generateServices({ services: 10_000, endpointsPerService: 5 });
  const mutated = mutateServices(services, 0.01);
  const before = parse(renderServicesDump(services));
  const after = parse(renderServicesDump(mutated));
  const beforeModel = buildProxyModel(before);
  const afterModel = buildProxyModel(after);
  const beforeChains = chainTexts(before);
  const afterChains = chainTexts(after);

  let changes = 0;
  const semantic = timeRuns(10, () => {
    changes = diffServiceModels(beforeModel, afterModel).length;
  });
  let changedChains = 0;
  const ruleset = timeRuns(10, () => {
    const d = diffRulesets(beforeChains, afterChains);
    changedChains = d.added.length + d.removed.length + d.changed.length;
  });
  const p50 = median(semantic);
  return {
    title: "Diff of two 10k-service snapshots differing in 1% of services",
    rows: [
      { measure: "semantic service diff (median of 10)", value: `${fmtMs(p50)} → ${changes} changes`, budget: "< 100 ms", ok: p50 < 100 },
      { measure: "ruleset diff by chain digest (median of 10; digests precomputed, as stored)", value: `${fmtMs(median(ruleset))} → ${changedChains} chains`, budget: "", ok: null },
    ],
    notes: ["100 services mutated the way rollouts change them: an endpoint replaced, added or removed."],
  };
}
