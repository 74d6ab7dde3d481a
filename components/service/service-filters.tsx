/**
 * The services list's filters: a plain GET form, so a filtered list is a URL, it works before any script loads,
 * and Enter in the search box applies it. The user's context (cluster, time range, refresh) rides along hidden.
 */
import Link from "next/link";
import { SERVICE_TYPES, type ServiceType } from "@/lib/server/queries/search-service-ports";

export interface ServiceFilterValues {
  q: string;
  type: ServiceType | undefined;
  disagreeing: boolean;
}

export function ServiceFilters({ values, context, clearHref }: { values: ServiceFilterValues; context: Record<string, string | undefined>; clearHref: string }) {
  const field = "rounded border border-zinc-300 bg-transparent px-2 py-1 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 dark:border-zinc-700";
  return (
    <form method="get" action="/services" role="search" aria-label="Filter service ports" className="mb-4 flex flex-wrap items-end gap-3 text-sm">
      {Object.entries(context).map(([name, value]) => (value ? <input key={name} type="hidden" name={name} value={value} /> : null))}
      <label className="flex flex-col gap-1">
        <span className="text-zinc-700 dark:text-zinc-300">Search</span>
        <input
          type="search"
          name="q"
          defaultValue={values.q}
          placeholder="name, IP, node port"
          className={`${field} w-64`}
          aria-describedby="service-search-hint"
        />
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-zinc-700 dark:text-zinc-300">Type</span>
        <select name="type" defaultValue={values.type ?? ""} className={`${field} dark:bg-zinc-950`}>
          <option value="">any</option>
          {SERVICE_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-2 py-1">
        <input type="checkbox" name="disagreeing" value="1" defaultChecked={values.disagreeing} className="h-4 w-4" />
        <span>Disagreeing nodes only</span>
      </label>
      <button type="submit" className="rounded bg-zinc-900 px-3 py-1.5 text-white focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 dark:bg-zinc-100 dark:text-zinc-900">
        Apply
      </button>
      <Link href={clearHref} className="py-1.5 text-zinc-700 underline hover:no-underline dark:text-zinc-300">
        Clear filters
      </Link>
      <p id="service-search-hint" className="basis-full text-xs text-zinc-600 dark:text-zinc-400">
        Part of namespace/name:port, the start of a cluster, external or endpoint IP, or a node port.
      </p>
    </form>
  );
}
