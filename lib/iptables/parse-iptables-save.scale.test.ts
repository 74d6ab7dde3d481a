/**
 * The parser at the size of DESIGN.md's budget: a 10k-service, 50k-endpoint kube-proxy nat dump (~230k lines).
 * The speed budget itself is measured by `npm run bench` against iptables-restore; here the bound only catches
 * a parser that stopped being linear, and the assertions check that nothing is lost or mixed up at that size
 * (options are shared between rules, so a wrong share would show here).
 */
import { describe, expect, it } from "vitest";
import { chainManifest, rulesetDigest } from "./chain-digest";
import { parseIptablesSave } from "./parse-iptables-save";
import { optionArg, ruleComment } from "./rule-options";
import { serializeIptablesSave } from "./serialize-iptables-save";
import { syntheticKubeProxyDump } from "./synthetic-kube-proxy-dump";
import { tokenizeRule } from "./tokenize-rule";

describe("parseIptablesSave at budget size", () => {
  const text = syntheticKubeProxyDump({ services: 10_000, endpointsPerService: 5 });

  it("parses 230k lines in linear time and writes them back byte for byte", () => {
    expect(text.split("\n").length).toBeGreaterThan(230_000);
    const started = performance.now();
    const result = parseIptablesSave(text);
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Generous: the budget is ~0.4 s; a quadratic step would take minutes.
    expect(elapsed).toBeLessThan(15_000);

    const nat = result.dump.tables[0]!;
    expect(nat.chains).toHaveLength(8 + 10_000 + 50_000);
    const rules = nat.chains.flatMap((c) => c.rules);
    expect(rules).toHaveLength(7 + 10_001 + 10_000 + 150_000);
    expect(serializeIptablesSave(result.dump)).toBe(text);
    expect(serializeIptablesSave(result.dump, { counters: false })).not.toMatch(/^\[/m);

    // Every rule's shared options equal what its own text tokenizes to (a sample of 2k rules across the dump).
    for (let i = 0; i < rules.length; i += 83) {
      const rule = rules[i]!;
      const alone = tokenizeRule(rule.text);
      expect(alone.ok && alone.rule.options).toEqual(rule.options);
    }

    const svc = nat.chains.find((c) => c.name.startsWith("KUBE-SVC-"))!;
    expect(svc.rules.map((r) => optionArg(r, "--probability"))).toEqual([
      null,
      "0.20000000019",
      "0.25000000000",
      "0.33333333349",
      "0.50000000000",
      null,
    ]);
    expect(ruleComment(svc.rules[1]!)).toMatch(/^team-0\/svc-0:http -> 10\.244\.0\.0:8080$/);
    const dnat = rules.filter((r) => r.target === "DNAT");
    expect(new Set(dnat.map((r) => optionArg(r, "--to-destination"))).size).toBe(50_000);
  });

  it("digests the ruleset the same whether counters were captured or not", () => {
    const withCounters = parseIptablesSave(text);
    const without = parseIptablesSave(syntheticKubeProxyDump({ services: 10_000, endpointsPerService: 5, counters: false }));
    expect(withCounters.ok && without.ok).toBe(true);
    if (!withCounters.ok || !without.ok) return;
    const manifest = chainManifest(withCounters.dump);
    expect(manifest).toHaveLength(60_008);
    expect(rulesetDigest(manifest)).toBe(rulesetDigest(chainManifest(without.dump)));
  });
});
