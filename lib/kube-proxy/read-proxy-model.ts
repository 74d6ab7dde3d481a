/**
 * One entry point from captured text to the kube-proxy model, whatever the node printed: `iptables-save [-c]`
 * (several tables), `ip6tables-save`, an `iptables -S [-v]` listing, or nftables (`nft list table ip kube-proxy`,
 * or a script of `add …` commands).
 */
import { parseIptablesSave, type ParseOptions } from "../iptables/parse-iptables-save";
import type { IptablesDump } from "../iptables/types";
import { parseNftRuleset } from "../nftables/parse-nft-ruleset";
import { buildNftProxyModel } from "../nftables/build-nft-model";
import { buildProxyModel } from "./build-service-model";
import type { ProxyModel } from "./types";

/** Why captured text could not be read, and where (1-based line and column). */
export interface RulesetReadError {
  reason: string;
  line: number;
  column: number;
  text: string;
}

export type RulesetFormat = "iptables" | "nftables";

export type ReadModelResult =
  | { ok: true; format: RulesetFormat; model: ProxyModel; dump: IptablesDump | null }
  | { ok: false; format: RulesetFormat; error: RulesetReadError };

/**
 * Tells nftables text from iptables text by its first meaningful line: nft output starts with `table`,
 * `add`/`flush`/`delete` commands, or `#!/usr/sbin/nft`; iptables-save with `*table`, `:CHAIN`, `-A`, `-N`, `-P`.
 */
export function detectRulesetFormat(text: string): RulesetFormat {
  for (const raw of text.split("\n", 200)) {
    const line = raw.trim();
    if (line === "" || (line.startsWith("#") && !line.startsWith("#!"))) continue;
    return /^(table|add|flush|delete|destroy|create|insert|replace|#!)\b/.test(line) ? "nftables" : "iptables";
  }
  return "iptables";
}

/**
 * How captured iptables text is parsed for the model: a listing (`iptables -t nat -S`) names no table, and kube-proxy's
 * service rules live in nat; the model reads rule texts itself, so the parser builds no option arrays (about half
 * the parse). The returned `dump` therefore has empty `options` and `matchModules` on every rule.
 */
export const MODEL_PARSE_OPTIONS = { defaultTable: "nat", ruleOptions: false } as const satisfies ParseOptions;

/**
 * Parses captured text and builds its model. Never throws on bad input: the error is a value. The iptables `dump`
 * comes without option arrays (see {@link MODEL_PARSE_OPTIONS}).
 */
export function readProxyModel(text: string, options: { family?: "ipv4" | "ipv6" } = {}): ReadModelResult {
  const format = detectRulesetFormat(text);
  if (format === "nftables") {
    const parsed = parseNftRuleset(text);
    if (!parsed.ok) return { ok: false, format, error: parsed.error };
    return { ok: true, format, model: buildNftProxyModel(parsed.ruleset, options), dump: null };
  }
  const parsed = parseIptablesSave(text, { ...MODEL_PARSE_OPTIONS, ...options });
  if (!parsed.ok) return { ok: false, format, error: parsed.error };
  return { ok: true, format, model: buildProxyModel(parsed.dump), dump: parsed.dump };
}
