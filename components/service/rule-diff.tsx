/**
 * One node's rule changes for a service port: each chain's rules, removed ones struck through in red, added ones in
 * green, unchanged ones as context. <del>/<ins> carry the meaning for screen readers, not only the colour.
 */
import type { ServicePortRuleDiff } from "@/lib/server/queries/get-change-rule-diffs";

export function RuleDiff({ diff, fallbackHref }: { diff: ServicePortRuleDiff | undefined; fallbackHref: string }) {
  if (!diff) {
    // Diffs are read for the newest entries only (each is a ruleset comparison); older ones are one link away.
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Rule diffs are shown for the newest changes of the range.{" "}
        <a href={fallbackHref} className="text-blue-700 underline hover:no-underline dark:text-blue-300">
          This node&apos;s diff as JSON
        </a>
        , or narrow the time range.
      </p>
    );
  }
  if (diff.previousSnapshotId === null) return <p className="text-sm text-zinc-600 dark:text-zinc-400">First capture of this node: no earlier rules to compare with.</p>;
  if (diff.chains.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">No rule of this port changed in this snapshot.</p>;
  return (
    <div className="space-y-3">
      {diff.chains.map((chain) => (
        <section key={`${chain.table} ${chain.chain}`} aria-label={`${chain.chain} ${chain.change}`}>
          <h5 className="font-mono text-xs font-semibold">
            {chain.chain} <span className="font-sans font-normal text-zinc-600 dark:text-zinc-400">({chain.table}, chain {chain.change})</span>
          </h5>
          <pre className="overflow-x-auto rounded border border-zinc-200 bg-zinc-50 p-2 text-xs leading-5 dark:border-zinc-800 dark:bg-zinc-900">
            {chain.lines.map((line, i) =>
              line.op === "add" ? (
                <ins key={i} className="block bg-emerald-100 text-emerald-950 no-underline dark:bg-emerald-950 dark:text-emerald-100">
                  <span aria-hidden="true">+ </span>
                  {line.text}
                </ins>
              ) : line.op === "remove" ? (
                <del key={i} className="block bg-red-100 text-red-950 dark:bg-red-950 dark:text-red-100">
                  <span aria-hidden="true">- </span>
                  {line.text}
                </del>
              ) : (
                <span key={i} className="block text-zinc-700 dark:text-zinc-300">
                  {"  "}
                  {line.text}
                </span>
              ),
            )}
          </pre>
        </section>
      ))}
    </div>
  );
}
