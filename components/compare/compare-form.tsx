import { MUTED_CLASS } from "@/components/node/styles";

/** One side of the comparison as the form shows it. */
export interface CompareSideInput {
  node: string;
  /** `now`, a duration back from now (`1h`), or an ISO-8601 time with offset. */
  at: string;
}

const FIELD = "rounded border border-zinc-400 bg-white px-2 py-1 text-sm text-zinc-900 dark:border-zinc-600 dark:bg-zinc-900 dark:text-zinc-100";

/**
 * Pickers for the two (node, time) points. A plain GET form: it works without JavaScript and by keyboard, and the
 * page turns its fields into the canonical `?a=node@time&b=node@time` URL.
 */
export function CompareForm({ nodes, a, b, context }: { nodes: readonly string[]; a: CompareSideInput; b: CompareSideInput; context: Record<string, string | undefined> }) {
  return (
    <form method="get" action="/compare" className="flex flex-wrap items-end gap-6 rounded border border-zinc-200 p-4 dark:border-zinc-800" aria-label="Choose what to compare">
      {Object.entries(context).map(([name, value]) => (value ? <input key={name} type="hidden" name={name} value={value} /> : null))}
      {(["a", "b"] as const).map((side) => {
        const value = side === "a" ? a : b;
        return (
          <fieldset key={side} className="flex flex-wrap items-end gap-2">
            <legend className="mb-1 text-sm font-semibold">{side === "a" ? "A" : "B"}</legend>
            <label className="flex flex-col text-sm">
              <span>node {side.toUpperCase()}</span>
              <select name={`${side}Node`} defaultValue={value.node} className={FIELD}>
                {nodes.map((n) => (
                  <option key={n} value={n}>{n}</option>
                ))}
              </select>
            </label>
            <label className="flex flex-col text-sm">
              <span>time {side.toUpperCase()}</span>
              <input name={`${side}At`} defaultValue={value.at} className={`${FIELD} w-60 font-mono`} aria-describedby="compare-time-help" />
            </label>
          </fieldset>
        );
      })}
      <button type="submit" className="rounded bg-zinc-900 px-3 py-1.5 text-sm text-white hover:bg-zinc-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300">
        Compare
      </button>
      <p id="compare-time-help" className={`basis-full text-xs ${MUTED_CLASS}`}>
        Time: <code>now</code>, a duration back from now (<code>15m</code>, <code>1h</code>, <code>7d</code>) or an ISO time with offset (
        <code>2026-01-05T10:00:00Z</code>). Each side is the snapshot the node had then.
      </p>
    </form>
  );
}
