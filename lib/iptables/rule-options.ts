/**
 * Small questions about one rule's options, for the kube-proxy model and the UI.
 *
 * `Rule.options` lists every word group of the rule in order, `-m NAME` and `-j/-g TARGET` included (owner `""`),
 * so `owner` tells base options (`""`), a match module's options (`"comment"`, `"statistic"`, …) and the target's
 * (`"target"`) apart. The lookups below take an optional owner to tell e.g. `--mark` of `-m mark` from a target's.
 */
import type { Rule, RuleOption } from "./types";

type WithOptions = Pick<Rule, "options">;

/** The first option with this name (and owner, when given). */
export function findOption(rule: WithOptions, name: string, owner?: string): RuleOption | undefined {
  for (const option of rule.options) {
    if (option.name === name && (owner === undefined || option.owner === owner)) return option;
  }
  return undefined;
}

export function hasOption(rule: WithOptions, name: string, owner?: string): boolean {
  return findOption(rule, name, owner) !== undefined;
}

/** First argument of the option (`optionArg(rule, "--dport")` → `"80"`), or null when absent or argument-less. */
export function optionArg(rule: WithOptions, name: string, owner?: string): string | null {
  return findOption(rule, name, owner)?.args[0] ?? null;
}

/** All arguments of the option, or null when absent. */
export function optionArgs(rule: WithOptions, name: string, owner?: string): string[] | null {
  return findOption(rule, name, owner)?.args ?? null;
}

/** True when the option is present and negated (`! -s 10.0.0.0/8`). */
export function isNegated(rule: WithOptions, name: string, owner?: string): boolean {
  return findOption(rule, name, owner)?.negated ?? false;
}

/**
 * The rule's `-m comment --comment` text, or null. Unquoted multi-word comments (kube-proxy's test style,
 * `--comment kubernetes service portals`) are joined with single spaces; several comment matches too.
 */
export function ruleComment(rule: WithOptions): string | null {
  let comment: string | null = null;
  for (const option of rule.options) {
    if (option.name !== "--comment" || option.owner !== "comment") continue;
    const text = option.args.length === 1 ? (option.args[0] as string) : option.args.join(" ");
    comment = comment === null ? text : `${comment} ${text}`;
  }
  return comment;
}

/** True when the rule loads the match module (`-m statistic`). */
export function usesModule(rule: Pick<Rule, "matchModules">, module: string): boolean {
  return rule.matchModules.includes(module);
}

/** The target's own options (`--to-destination`, `--set-xmark`, `--random-fully`, …), in order. */
export function targetOptions(rule: WithOptions): RuleOption[] {
  return rule.options.filter((option) => option.owner === "target");
}
