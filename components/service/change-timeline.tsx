/**
 * The service port's change timeline: one entry per kube-proxy sync (lib/dashboard/change-timeline.ts) with what
 * changed, the pod event that caused it, and each node's delay — the late node last, a node that never followed
 * named — and, per node, the rules before and after.
 */
import { formatClock, formatDelay } from "@/lib/dashboard/format";
import type { TimelineEntry } from "@/lib/dashboard/change-timeline";
import type { ServicePortRuleDiff } from "@/lib/server/queries/get-change-rule-diffs";
import { RuleDiff } from "./rule-diff";

export function ChangeTimeline({
  entries,
  diffs,
  diffHref,
  more,
}: {
  entries: readonly TimelineEntry[];
  diffs: ReadonlyMap<number, ServicePortRuleDiff>;
  /** The read API's diff of a node's snapshot against the rules it had just before. */
  diffHref: (node: string, at: Date, snapshotId: number) => string;
  more: boolean;
}) {
  if (entries.length === 0) {
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">No change of this port in the selected time range. Widen the range to see older changes.</p>;
  }
  return (
    <>
      <ol aria-label="Changes" className="space-y-4">
        {entries.map((entry) => (
          <li key={entry.key} aria-label={`Change at ${formatClock(entry.firstAt)}`} className="rounded border border-zinc-200 p-3 dark:border-zinc-800">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h4 className="font-medium">
                <time dateTime={entry.firstAt.toISOString()}>{formatClock(entry.firstAt)}</time>
                <span className="ml-2 text-sm font-normal text-zinc-600 dark:text-zinc-400">{entry.kinds.join(", ")}</span>
              </h4>
              {entry.missing.length > 0 && (
                <p className="text-sm font-semibold text-red-700 dark:text-red-400">Not followed by {entry.missing.join(", ")}</p>
              )}
            </div>
            <ul className="mt-1 list-disc pl-5 text-sm">
              {entry.summaries.map((summary) => (
                <li key={summary} className="font-mono text-xs leading-6">
                  {summary}
                </li>
              ))}
            </ul>
            <p className="mt-1 text-sm">
              <span className="text-zinc-600 dark:text-zinc-400">Cause: </span>
              {entry.causes.length === 0
                ? "no pod or EndpointSlice event recorded"
                : entry.causes.map((c, i) => (
                    <span key={c.eventId}>
                      {i > 0 && "; "}
                      {c.kind} {c.namespace}/{c.name} {c.type} at <time dateTime={new Date(c.at).toISOString()}>{formatClock(new Date(c.at))}</time> ({c.ip})
                    </span>
                  ))}
            </p>
            <table className="mt-2 w-full border-collapse text-sm">
              <caption className="sr-only">Nodes that applied the change at {formatClock(entry.firstAt)}</caption>
              <thead>
                <tr className="border-b border-zinc-300 text-left text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
                  <th scope="col" className="px-2 py-1 font-medium">node</th>
                  <th scope="col" className="px-2 py-1 font-medium">applied at</th>
                  <th scope="col" className="px-2 py-1 text-right font-medium">delay after first node</th>
                  <th scope="col" className="px-2 py-1 text-right font-medium">after the pod event</th>
                </tr>
              </thead>
              <tbody>
                {entry.nodes.map((n) => {
                  const cause = n.changes.find((c) => c.cause)?.cause;
                  return (
                    <tr key={n.node} className="border-b border-zinc-100 align-top dark:border-zinc-800">
                      <th scope="row" className="px-2 py-1 text-left font-normal">{n.node}</th>
                      <td className="px-2 py-1"><time dateTime={n.at.toISOString()}>{formatClock(n.at)}</time></td>
                      <td className={`px-2 py-1 text-right tabular-nums ${n.delayMs > 0 ? "font-semibold text-amber-800 dark:text-amber-300" : ""}`}>
                        {n.delayMs > 0 ? `+${formatDelay(n.delayMs)}` : "first"}
                      </td>
                      <td className="px-2 py-1 text-right tabular-nums">{cause ? formatDelay(cause.delayMs) : "—"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <div className="mt-2 space-y-1">
              {entry.nodes.map((n) => (
                <details key={n.node}>
                  <summary className="cursor-pointer text-sm text-zinc-700 underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 dark:text-zinc-300">
                    Rule diff on {n.node}
                  </summary>
                  <div className="mt-2">
                    <RuleDiff diff={diffs.get(n.snapshotId)} fallbackHref={diffHref(n.node, n.at, n.snapshotId)} />
                  </div>
                </details>
              ))}
            </div>
          </li>
        ))}
      </ol>
      {more && <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">Older changes in this range are not shown; narrow the time range to see them.</p>}
    </>
  );
}
