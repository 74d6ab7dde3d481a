import Link from "next/link";
import type { ServicePortDiff } from "@/lib/server/queries/diff-snapshots";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";

const TONE: Record<string, string> = {
  added: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/60 dark:text-emerald-100",
  removed: "bg-red-100 text-red-900 dark:bg-red-900/60 dark:text-red-100",
  changed: "bg-amber-100 text-amber-900 dark:bg-amber-900/60 dark:text-amber-100",
};

const toneOf = (kind: string) => (kind.endsWith("-added") ? TONE.added : kind.endsWith("-removed") ? TONE.removed : TONE.changed);

/** The semantic diff: per service port, what B programs differently from A (endpoints, weights, paths, policies). */
export function ServiceDiff({ services, serviceHref }: { services: readonly ServicePortDiff[]; serviceHref: (segment: string) => string }) {
  if (services.length === 0) {
    return <p className={MUTED_CLASS}>No service-level difference: both sides program every service port the same way (rules may still be ordered or written differently; see the chains below).</p>;
  }
  return (
    <ul className="space-y-4" aria-label="Service ports that differ">
      {services.map((s) => (
        <li key={`${s.servicePort} ${s.protocol}`} className="rounded border border-zinc-200 p-3 dark:border-zinc-800">
          <h3 className="mb-2 font-mono text-sm font-semibold">
            <Link href={serviceHref(s.segment)} className={LINK_CLASS}>{s.servicePort}</Link> <span className={`font-sans font-normal ${MUTED_CLASS}`}>{s.protocol}</span>
          </h3>
          <ul className="space-y-1 text-sm">
            {s.changes.map((c, i) => (
              <li key={i} className="flex flex-wrap items-baseline gap-2">
                <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${toneOf(c.kind)}`}>{c.kind}</span>
                <span>{c.summary}</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
