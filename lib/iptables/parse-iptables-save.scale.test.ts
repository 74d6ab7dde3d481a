/**
 * The parser on large kube-proxy nat tables, rendered by the lab's kube-proxy renderer from the benchmark's synthetic
 * cluster (bench/generate-nat-dump.ts): nothing is lost or mixed up at that size (options are shared between rules,
 * so a wrong share would show here), and the time grows linearly. The speed budget itself is measured against
 * iptables-restore by `npm run bench`; here only the ratio between two sizes is bounded, never a time.
 */
import { describe, expect, it } from "vitest";
import { generateKubeProxyDump, generateServices } from "../../bench/generate-nat-dump";
import { chainManifest, rulesetDigest } from "./chain-digest";
import { parseIptablesSave, type ParseOptions } from "./parse-iptables-save";
import { optionArg, ruleComment } from "./rule-options";
import { serializeIptablesSave } from "./serialize-iptables-save";
import { tokenizeRule } from "./tokenize-rule";
import type { IptablesDump } from "./types";

function parsed(text: string, options: ParseOptions = {}): IptablesDump {
  const result = parseIptablesSave(text, options);
  if (!result.ok) throw new Error(`${result.error.reason} at line ${result.error.line}`);
  return result.dump;
}

/** The same rules as `iptables-save -c` prints them: a `[packets:bytes]` prefix on every rule. */
function withCounters(text: string): string {
  let n = 0;
  return text.replace(/^-A /gm, () => {
    n++;
    return `[${n % 97}:${(n % 97) * 60}] -A `;
  });
}

describe("parseIptablesSave on a 5k-service node", () => {
  const spec = { services: 5_000 };
  const text = generateKubeProxyDump(spec);
  // kube-proxy programs a port's ready endpoints, or its serving terminating ones when none is ready.
  const endpoints = new Set(
    generateServices(spec).flatMap((s) =>
      s.ports.flatMap((p) => {
        const ready = p.endpoints.filter((e) => e.ready);
        return (ready.length > 0 ? ready : p.endpoints.filter((e) => e.serving)).map((e) => `${e.ip}:${e.port}`);
      }),
    ),
  );

  it("reads every chain and rule and writes them back byte for byte", () => {
    expect(text.split("\n").length).toBeGreaterThan(100_000);
    const dump = parsed(text);
    const nat = dump.tables[0]!;
    expect(nat.chains).toHaveLength(text.match(/^:/gm)!.length);
    const rules = nat.chains.flatMap((c) => c.rules);
    expect(rules).toHaveLength(text.match(/^-A /gm)!.length);
    expect(serializeIptablesSave(dump)).toBe(text);

    // Every rule's shared options equal what its own text tokenizes to (a sample across the dump).
    for (let i = 0; i < rules.length; i += 53) {
      const alone = tokenizeRule(rules[i]!.text);
      expect(alone.ok && alone.rule.options, rules[i]!.text).toEqual(rules[i]!.options);
    }

    // A ladder as kube-proxy writes it: 1/n, 1/(n-1), … with ten decimals, the last rule without probability.
    const ladder = nat.chains.find((c) => c.name.startsWith("KUBE-SVC-") && c.rules.filter((r) => r.target?.startsWith("KUBE-SEP-")).length === 4)!;
    expect(ladder.rules.filter((r) => r.target?.startsWith("KUBE-SEP-")).map((r) => optionArg(r, "--probability"))).toEqual([
      "0.2500000000",
      "0.3333333333",
      "0.5000000000",
      null,
    ]);
    expect(ruleComment(nat.chains.find((c) => c.name === "KUBE-SERVICES")!.rules[0]!)).toMatch(/^[a-z]+-[a-z]+\/[a-z]+-[0-9a-z]{4}:[a-z-]+ cluster IP$/);
    // Every endpoint of the cluster is some DNAT rule's destination, and nothing else is.
    const destinations = new Set(rules.filter((r) => r.target === "DNAT").map((r) => optionArg(r, "--to-destination", "target")));
    expect(destinations).toEqual(endpoints);
  });

  it("reads the same texts, targets and chains without building options", () => {
    const full = parsed(text).tables[0]!;
    const texts = parsed(text, { ruleOptions: false }).tables[0]!;
    expect(texts.chains.map((c) => c.name)).toEqual(full.chains.map((c) => c.name));
    const fields = (t: typeof full) => t.chains.flatMap((c) => c.rules.map((r) => `${r.line} ${r.chain} ${r.target} ${r.text}`));
    expect(fields(texts)).toEqual(fields(full));
  });

  it("digests the ruleset the same whether counters were captured or not", () => {
    const counted = parsed(withCounters(text), { ruleOptions: false });
    expect(counted.tables[0]!.chains.flatMap((c) => c.rules).some((r) => (r.counters?.packets ?? 0) > 0)).toBe(true);
    const manifest = chainManifest(parsed(text, { ruleOptions: false }));
    expect(manifest).toHaveLength(text.match(/^:/gm)!.length);
    expect(rulesetDigest(chainManifest(counted))).toBe(rulesetDigest(manifest));
  });
});
