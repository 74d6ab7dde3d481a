import { Fragment, type ReactNode } from "react";

/**
 * One rule, with every jump target that is a chain of the same table turned into a link to that chain (`-j` jumps
 * and returns, `-g` goes to without returning — iptables(8)), and the search term marked.
 */
export function RuleLine({ text, table, chains, highlight, hrefFor }: {
  text: string;
  table: string;
  /** Chains of the rule's table: only these targets are links (ACCEPT, DNAT, MASQUERADE… are not chains). */
  chains: ReadonlySet<string>;
  highlight: RegExp | null;
  /** Where a link to a chain goes: its anchor on this page, or on the unfiltered page when the search hides it. */
  hrefFor: (table: string, chain: string) => string;
}) {
  const parts: ReactNode[] = [];
  const jump = /(\s-[jg]\s+)([^\s]+)/g;
  let last = 0;
  for (const match of text.matchAll(jump)) {
    const target = match[2]!;
    if (!chains.has(target)) continue;
    const start = match.index! + match[1]!.length;
    parts.push(<Marked key={`t${last}`} text={text.slice(last, start)} highlight={highlight} />);
    parts.push(
      <a key={`j${start}`} href={hrefFor(table, target)} className="text-blue-700 underline decoration-dotted underline-offset-2 hover:decoration-solid focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 dark:text-blue-300">
        <Marked text={target} highlight={highlight} />
      </a>,
    );
    last = start + target.length;
  }
  parts.push(<Marked key="rest" text={text.slice(last)} highlight={highlight} />);
  return <>{parts}</>;
}

/** `text` with the matches of `highlight` in <mark>. */
export function Marked({ text, highlight }: { text: string; highlight: RegExp | null }) {
  if (!highlight || !text) return <>{text}</>;
  const pieces: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(new RegExp(highlight.source, highlight.flags.includes("g") ? highlight.flags : `${highlight.flags}g`))) {
    if (match[0].length === 0) break;
    pieces.push(<Fragment key={`p${last}`}>{text.slice(last, match.index)}</Fragment>);
    pieces.push(<mark key={`m${match.index}`} className="rounded-sm bg-yellow-200 text-zinc-950 dark:bg-yellow-600 dark:text-zinc-950">{match[0]}</mark>);
    last = match.index! + match[0].length;
  }
  pieces.push(<Fragment key="end">{text.slice(last)}</Fragment>);
  return <>{pieces}</>;
}
