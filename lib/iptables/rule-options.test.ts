import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "./parse-iptables-save";
import {
  findOption,
  hasOption,
  isNegated,
  optionArg,
  optionArgs,
  ruleComment,
  targetOptions,
  usesModule,
} from "./rule-options";
import { tokenizeRule } from "./tokenize-rule";
import type { Rule } from "./types";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/", import.meta.url));

function rulesOf(file: string): Rule[] {
  const result = parseIptablesSave(readFileSync(`${CORPUS}iptables/${file}`, "utf8"));
  if (!result.ok) throw new Error(result.error.reason);
  return result.dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
}

function ruleOf(text: string): Rule {
  const result = tokenizeRule(text);
  if (!result.ok) throw new Error(result.reason);
  return { chain: "X", line: 1, ...result.rule, counters: null };
}

describe("rule option accessors", () => {
  const rules = rulesOf("006_TestOverallIPTablesRules.txt");
  const byComment = (comment: string) => {
    const found = rules.find((r) => ruleComment(r) === comment && r.target?.startsWith("KUBE-SEP-"));
    if (found === undefined) throw new Error(`no balancing rule "${comment}"`);
    return found;
  };

  it("reads the arguments kube-proxy's model needs from corpus rules", () => {
    const entry = rules.find((r) => r.chain === "KUBE-SERVICES" && ruleComment(r) === "ns1/svc1:p80 cluster IP");
    expect(entry).toBeDefined();
    expect(optionArg(entry!, "-d")).toBe("172.30.0.41");
    expect(optionArg(entry!, "--dport")).toBe("80");
    expect(optionArg(entry!, "--dport", "tcp")).toBe("80");
    expect(optionArg(entry!, "--dport", "udp")).toBeNull();
    expect(optionArgs(entry!, "-p")).toEqual(["tcp"]);
    expect(optionArg(entry!, "--probability")).toBeNull();
    const affinity = rules.filter((r) => hasOption(r, "--rcheck", "recent"));
    expect(affinity.length).toBeGreaterThan(0);
    expect(affinity.every((r) => optionArg(r, "--seconds", "recent") === "10800")).toBe(true);
    expect(byComment("ns1/svc1:p80 -> 10.180.0.1:80").target).toBe("KUBE-SEP-SXIVWICOYRO3J4NJ");
  });

  it("tells negated options and flags apart", () => {
    const masq = rules.find((r) => r.chain.startsWith("KUBE-SVC-") && hasOption(r, "-s"));
    expect(masq).toBeDefined();
    expect(isNegated(masq!, "-s")).toBe(true);
    expect(isNegated(masq!, "-d")).toBe(false);
    expect(isNegated(masq!, "--nonexistent")).toBe(false);
    const rule = ruleOf("-m recent --rcheck --seconds 10 -j MASQUERADE --random-fully");
    expect(optionArg(rule, "--rcheck")).toBeNull();
    expect(optionArgs(rule, "--rcheck")).toEqual([]);
    expect(hasOption(rule, "--rcheck")).toBe(true);
    expect(optionArgs(rule, "--reap")).toBeNull();
  });

  it("joins unquoted multi-word comments and several comment matches", () => {
    expect(ruleComment(ruleOf("-m comment --comment kubernetes service portals -j KUBE-SERVICES"))).toBe(
      "kubernetes service portals",
    );
    expect(ruleComment(ruleOf('-m comment --comment "a" -m comment --comment "b c" -j X'))).toBe("a b c");
    expect(ruleComment(ruleOf("-m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081"))).toBeNull();
    expect(ruleComment(ruleOf('-m comment --comment ""'))).toBe("");
  });

  it("lists the target's options and the loaded modules", () => {
    const dnat = ruleOf("-p tcp -m comment --comment x -m tcp -j DNAT --to-destination [ff06::c1]:80");
    expect(targetOptions(dnat)).toEqual([{ name: "--to-destination", args: ["[ff06::c1]:80"], negated: false, owner: "target" }]);
    expect(usesModule(dnat, "comment")).toBe(true);
    expect(usesModule(dnat, "statistic")).toBe(false);
    expect(findOption(dnat, "--to-destination", "tcp")).toBeUndefined();
  });
});
