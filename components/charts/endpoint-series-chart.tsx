"use client";
/**
 * New connections per endpoint over time (one line per endpoint, per bucket of the read API's series): when the
 * spread changed — a pod restart moves traffic to the new address, a lagging node keeps sending to the old one.
 */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { AXIS_TICK, TOOLTIP_STYLE, seriesColor } from "./palette";

export interface EndpointSeries {
  endpoint: string;
  label: string;
  values: readonly number[];
  /** Colour of the line; give the same endpoint the same colour in every chart of a view. */
  color?: string;
}

const clock = (iso: unknown) => (typeof iso === "string" ? `${iso.slice(11, 16)}` : "");

export function EndpointSeriesChart({ title, buckets, series }: { title: string; buckets: readonly string[]; series: readonly EndpointSeries[] }) {
  const data = buckets.map((at, i) => {
    const row: Record<string, string | number> = { at };
    for (const s of series) row[s.endpoint] = s.values[i] ?? 0;
    return row;
  });
  return (
    <figure className="min-w-0 text-zinc-700 dark:text-zinc-300">
      <figcaption className="mb-1 text-sm font-medium">{title}</figcaption>
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} title={title}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} />
            <XAxis dataKey="at" tick={AXIS_TICK} tickFormatter={clock} minTickGap={24} />
            <YAxis tick={AXIS_TICK} allowDecimals={false} width={40} />
            <Tooltip labelFormatter={(iso) => `${clock(iso)} UTC`} contentStyle={TOOLTIP_STYLE} />
            <Legend />
            {series.map((s, i) => (
              <Line key={s.endpoint} type="stepAfter" dataKey={s.endpoint} name={s.label} stroke={s.color ?? seriesColor(i)} dot={false} strokeWidth={2} isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
