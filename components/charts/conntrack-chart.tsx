"use client";
/**
 * Conntrack over time for one node: entries against the table's limit, and the growth of the `conntrack -S`
 * counters that signal trouble (insert_failed, drop, early_drop…). Plain data in, so the server component passes
 * what getConntrackSeries returned with times as ISO strings.
 */
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";

/** One bucket of the series. */
export interface ConntrackChartPoint {
  at: string;
  count: number;
  max: number;
  /** Increase of each counter since the previous bucket (0 for the first). */
  insertFailed: number;
  drop: number;
  earlyDrop: number;
  invalid: number;
  error: number;
  searchRestart: number;
}

const tick = (iso: string) => iso.slice(11, 16);
const axis = { stroke: "currentColor", fontSize: 12 } as const;

/** Colours that keep ≥ 3:1 against both the light and the dark background. */
const COUNTERS = [
  { key: "insertFailed", label: "insert_failed", color: "#dc2626" },
  { key: "drop", label: "drop", color: "#d97706" },
  { key: "earlyDrop", label: "early_drop", color: "#9333ea" },
  { key: "invalid", label: "invalid", color: "#0891b2" },
  { key: "error", label: "error", color: "#be185d" },
  { key: "searchRestart", label: "search_restart", color: "#4b5563" },
] as const;

export function ConntrackFillChart({ points }: { points: readonly ConntrackChartPoint[] }) {
  const max = Math.max(0, ...points.map((p) => p.max));
  const peak = Math.max(0, ...points.map((p) => p.count));
  // The limit is drawn only when the entries come near it; otherwise it would flatten the line to the axis.
  const showMax = max > 0 && peak / max > 0.5;
  return (
    <figure aria-label="Conntrack entries against the table limit">
      <figcaption className="mb-1 text-sm text-zinc-700 dark:text-zinc-300">
        Entries: peak {peak.toLocaleString("en")} of {max.toLocaleString("en")} ({max ? ((peak / max) * 100).toFixed(2) : "0"}% of nf_conntrack_max)
      </figcaption>
      <div className="h-56 w-full text-zinc-600 dark:text-zinc-400" aria-hidden>
          <LineChart responsive style={{ width: "100%", height: "100%" }} data={[...points]} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
            <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={40} />
            <YAxis {...axis} width={64} domain={[0, showMax ? max : "auto"]} />
            <Tooltip labelFormatter={(label) => String(label).replace("T", " ").slice(0, 19)} contentStyle={{ color: "#18181b" }} />
            <Line type="monotone" dataKey="count" name="entries" stroke="#2563eb" strokeWidth={2} dot={false} isAnimationActive={false} />
            {showMax && <ReferenceLine y={max} stroke="#dc2626" strokeDasharray="4 4" label={{ value: "max", fill: "currentColor", fontSize: 12 }} />}
          </LineChart>
      </div>
    </figure>
  );
}

export function ConntrackStatsChart({ points }: { points: readonly ConntrackChartPoint[] }) {
  const totals = COUNTERS.map((c) => ({ ...c, total: points.reduce((sum, p) => sum + p[c.key], 0) }));
  return (
    <figure aria-label="Conntrack statistics per bucket, summed over CPUs">
      <figcaption className="mb-1 text-sm text-zinc-700 dark:text-zinc-300">
        Increase per bucket, summed over CPUs: {totals.map((c) => `${c.label} ${c.total.toLocaleString("en")}`).join(", ")}
      </figcaption>
      <div className="h-56 w-full text-zinc-600 dark:text-zinc-400" aria-hidden>
          <LineChart responsive style={{ width: "100%", height: "100%" }} data={[...points]} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
            <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={40} />
            <YAxis {...axis} width={64} allowDecimals={false} />
            <Tooltip labelFormatter={(label) => String(label).replace("T", " ").slice(0, 19)} contentStyle={{ color: "#18181b" }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {COUNTERS.map((c) => (
              <Line key={c.key} type="stepAfter" dataKey={c.key} name={c.label} stroke={c.color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
            ))}
          </LineChart>
      </div>
    </figure>
  );
}
