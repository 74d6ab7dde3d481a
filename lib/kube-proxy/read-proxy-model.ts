/**
 * One entry point from captured text to the kube-proxy model, whatever the node printed: `iptables-save [-c]`
 * (several tables), `ip6tables-save`, an `iptables -S [-v]` listing, or nftables (`nft list table ip kube-proxy`,
 * or a script of `add …` commands).
 */
import { parseIptablesSave } from "../iptables/parse-iptables-save";
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

/** Parses captured text and builds its model. Never throws on bad input: the error is a value. */
export function readProxyModel(text: string, options: { family?: "ipv4" | "ipv6" } = {}): ReadModelResult {
  const format = detectRulesetFormat(text);
  if (format === "nftables") {
    const parsed = parseNftRuleset(text);
    if (!parsed.ok) return { ok: false, format, error: parsed.error };
    return { ok: true, format, model: buildNftProxyModel(parsed.ruleset, options), dump: null };
  }
  // A listing (`iptables -t nat -S`) names no table; kube-proxy's service rules live in nat.
  const parsed = parseIptablesSave(text, { defaultTable: "nat", ...options });
  if (!parsed.ok) return { ok: false, format, error: parsed.error };
  return { ok: true, format, model: buildProxyModel(parsed.dump), dump: parsed.dump };
}
