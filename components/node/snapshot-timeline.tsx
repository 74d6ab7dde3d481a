import Link from "next/link";
import type { SnapshotSummary } from "@/lib/server/queries/list-snapshots";

/** One interval on the timeline: a snapshot and where its link goes. */
export interface TimelineInterval {
  snapshot: SnapshotSummary;
  href: string;
}

const time = (d: Date) => d.toISOString().slice(11, 19);

/**
 * A node's ruleset states over the view's range, as intervals on one axis: each bar starts when the node began
 * having those rules and ends when the next state began (the last one runs to its last capture). Bars are links to
 * the snapshot; the list underneath reads the same intervals to a screen reader in words.
 */
export function SnapshotTimeline({ intervals, from, to }: { intervals: readonly TimelineInterval[]; from: Date; to: Date }) {
  // Oldest first, so each interval ends where the next begins.
  const ordered = [...intervals].sort((a, b) => a.snapshot.firstSeen.getTime() - b.snapshot.firstSeen.getTime());
  // A node that began reporting inside the range would be a sliver at the right end: the axis starts at its first state.
  const first = ordered[0]?.snapshot.firstSeen;
  const axisFrom = first && first > from ? first : from;
  const span = Math.max(1, to.getTime() - axisFrom.getTime());
  const position = (at: Date) => Math.min(100, Math.max(0, ((at.getTime() - axisFrom.getTime()) / span) * 100));
  return (
    <figure aria-labelledby="timeline-caption">
      <figcaption id="timeline-caption" className="mb-2 text-base font-semibold">Snapshot history</figcaption>
      <ol className="relative h-10 rounded bg-zinc-100 dark:bg-zinc-900" aria-label="Snapshots as intervals">
        {ordered.map(({ snapshot, href }, i) => {
          const next = ordered[i + 1];
          const end = next ? next.snapshot.firstSeen : snapshot.lastSeen;
          const left = position(snapshot.firstSeen);
          const width = Math.max(0.6, position(end) - left);
          const label = `snapshot ${snapshot.id}: ${snapshot.firstSeen.toISOString()} to ${end.toISOString()}, ${snapshot.chains} chains, ${snapshot.changes} service change${snapshot.changes === 1 ? "" : "s"}`;
          return (
            <li key={snapshot.id} className="absolute inset-y-1" style={{ left: `${left}%`, width: `${width}%` }}>
              <Link
                href={href}
                aria-label={label}
                title={label}
                className={`block h-full rounded-sm border border-white/70 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-blue-600 dark:border-zinc-950/70 ${
                  snapshot.changes > 0 ? "bg-blue-600 hover:bg-blue-700 dark:bg-blue-500" : "bg-zinc-500 hover:bg-zinc-600 dark:bg-zinc-500"
                }`}
              />
            </li>
          );
        })}
      </ol>
      <div className="mt-1 flex justify-between text-xs text-zinc-600 dark:text-zinc-400" aria-hidden>
        <span>{axisFrom.toISOString().slice(0, 19).replace("T", " ")} UTC</span>
        <span>{to.toISOString().slice(0, 19).replace("T", " ")} UTC</span>
      </div>
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
        <span className="mr-1 inline-block h-2 w-3 rounded-sm bg-blue-600 align-middle dark:bg-blue-500" aria-hidden /> changed services{" "}
        <span className="ml-3 mr-1 inline-block h-2 w-3 rounded-sm bg-zinc-500 align-middle" aria-hidden /> rules rewritten, services unchanged. Times in UTC ({time(axisFrom)}–{time(to)}).
      </p>
    </figure>
  );
}
