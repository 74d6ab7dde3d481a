import Link from "next/link";
import type { RulesetDiff } from "@/lib/diff/types";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";
import { chainAnchor } from "@/components/snapshot/chain-anchor";

/**
 * The raw diff, chain by chain: chains only one side has, then the rule edits of chains both have, with a few
 * unchanged rules around each edit. Added and removed rules are <ins>/<del>, so the meaning does not rest on colour.
 */
export function ChainDiff({ chains, beforeHref, afterHref }: { chains: RulesetDiff; beforeHref: string; afterHref: string }) {
  const link = (base: string, table: string, chain: string) => (
    <Link href={`${base}#${chainAnchor(table, chain)}`} className={`font-mono ${LINK_CLASS}`}>{chain}</Link>
  );
  return (
    <div className="space-y-6">
      <p className={`text-sm ${MUTED_CLASS}`}>
        {chains.added.length} chain{chains.added.length === 1 ? "" : "s"} only in B, {chains.removed.length} only in A, {chains.changed.length} changed, {chains.unchanged} unchanged.
      </p>
      {chains.removed.length > 0 && (
        <section aria-label="Chains only in A">
          <h3 className="mb-1 text-sm font-semibold">Only in A</h3>
          <ul className="space-y-0.5 text-sm">
            {chains.removed.map((c) => (
              <li key={`${c.table} ${c.chain}`}>
                <del className="bg-red-50 no-underline dark:bg-red-950"><span className="sr-only">removed </span>{c.table}</del> {link(beforeHref, c.table, c.chain)}{" "}
                <span className={MUTED_CLASS}>({c.ruleCount} rule{c.ruleCount === 1 ? "" : "s"})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {chains.added.length > 0 && (
        <section aria-label="Chains only in B">
          <h3 className="mb-1 text-sm font-semibold">Only in B</h3>
          <ul className="space-y-0.5 text-sm">
            {chains.added.map((c) => (
              <li key={`${c.table} ${c.chain}`}>
                <ins className="bg-emerald-50 no-underline dark:bg-emerald-950"><span className="sr-only">added </span>{c.table}</ins> {link(afterHref, c.table, c.chain)}{" "}
                <span className={MUTED_CLASS}>({c.ruleCount} rule{c.ruleCount === 1 ? "" : "s"})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {chains.changed.map((c) => (
        <details key={`${c.table} ${c.chain}`} open className="rounded border border-zinc-200 dark:border-zinc-800" aria-label={`changed chain ${c.chain}`}>
          <summary className="cursor-pointer px-3 py-1.5 text-sm focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600">
            <span className={MUTED_CLASS}>{c.table}</span> <span className="font-mono font-medium">{c.chain}</span>{" "}
            <span className="text-emerald-800 dark:text-emerald-300">+{c.added}</span> <span className="text-red-800 dark:text-red-300">−{c.removed}</span>
          </summary>
          <p className="px-3 pb-1 text-xs">
            in {link(beforeHref, c.table, c.chain)} <span className={MUTED_CLASS}>(A)</span> · {link(afterHref, c.table, c.chain)} <span className={MUTED_CLASS}>(B)</span>
          </p>
          <ol className="overflow-x-auto border-t border-zinc-200 font-mono text-xs leading-5 dark:border-zinc-800">
            {c.edits.map((e, i) => {
              const gap = i > 0 && e.op === "keep" && c.edits[i - 1]!.op === "keep" && e.index !== c.edits[i - 1]!.index + 1;
              return (
                <li key={i} className="whitespace-pre">
                  {gap && <div className={`px-3 ${MUTED_CLASS}`}>⋯</div>}
                  {e.op === "add" ? (
                    <ins className="block bg-emerald-50 px-3 text-emerald-950 no-underline dark:bg-emerald-950 dark:text-emerald-100"><span aria-hidden>+ </span><span className="sr-only">added: </span>{e.text}</ins>
                  ) : e.op === "remove" ? (
                    <del className="block bg-red-50 px-3 text-red-950 no-underline dark:bg-red-950 dark:text-red-100"><span aria-hidden>− </span><span className="sr-only">removed: </span>{e.text}</del>
                  ) : (
                    <span className="block px-3 text-zinc-700 dark:text-zinc-300"><span aria-hidden>{"  "}</span>{e.text}</span>
                  )}
                </li>
              );
            })}
          </ol>
        </details>
      ))}
    </div>
  );
}
