import type { RulesetChainJson } from "@/lib/server/queries/get-snapshot-ruleset";
import { MUTED_CLASS } from "@/components/node/styles";
import { chainAnchor } from "./chain-anchor";
import { Marked, RuleLine } from "./rule-line";

/**
 * The chains of a ruleset, per table, each a collapsible <details> whose id is the chain's anchor. `shown` are the
 * chains the search kept; `open` says whether they start expanded.
 */
export function ChainList({ chains, shown, open, rulePattern, namePattern, hrefFor }: {
  chains: readonly RulesetChainJson[];
  shown: ReadonlySet<RulesetChainJson>;
  open: boolean;
  rulePattern: RegExp | null;
  namePattern: RegExp | null;
  hrefFor: (table: string, chain: string) => string;
}) {
  const tables = [...new Set(chains.map((c) => c.table))];
  const chainsOf = new Map(tables.map((t) => [t, new Set(chains.filter((c) => c.table === t).map((c) => c.chain))]));
  return (
    <div className="space-y-6">
      {tables.map((table) => {
        const visible = chains.filter((c) => c.table === table && shown.has(c));
        if (visible.length === 0) return null;
        return (
          <section key={table} aria-label={`table ${table}`}>
            <h2 className="mb-2 font-mono text-base font-semibold">*{table}</h2>
            <div className="space-y-1">
              {visible.map((c) => (
                <details key={c.chain} id={chainAnchor(c.table, c.chain)} open={open} className="scroll-mt-4 rounded border border-zinc-200 dark:border-zinc-800">
                  <summary className="cursor-pointer px-3 py-1 text-sm focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600">
                    <span className="font-mono font-medium"><Marked text={c.chain} highlight={namePattern} /></span>{" "}
                    <span className={MUTED_CLASS}>
                      {c.policy ? `policy ${c.policy}, ` : ""}
                      {c.rules.length} rule{c.rules.length === 1 ? "" : "s"}
                    </span>
                  </summary>
                  {c.rules.length > 0 && (
                    <ol className="overflow-x-auto border-t border-zinc-200 py-1 font-mono text-xs leading-5 dark:border-zinc-800">
                      {c.rules.map((rule, i) => (
                        <li key={i} className="whitespace-pre px-3">
                          <RuleLine text={rule} table={c.table} chains={chainsOf.get(c.table)!} highlight={rulePattern} hrefFor={hrefFor} />
                        </li>
                      ))}
                    </ol>
                  )}
                </details>
              ))}
            </div>
          </section>
        );
      })}
    </div>
  );
}
