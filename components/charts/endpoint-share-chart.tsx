"use client";
/**
 * Configured share vs observed share of new connections per endpoint: is traffic spread the way the probability
 * ladder says? Bars side by side per endpoint; both are fractions of the scope's (a node's, or the cluster's) new
 * connections.
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { AXIS_TICK, TOOLTIP_STYLE } from "./palette";

/** One endpoint's bar pair. */
export interface EndpointShareDatum {
  endpoint: string;
  /** Shown under the bars: the address, with the pod name when known. */
  label: string;
  configured: number | null;
  observed: number | null;
  newConnections: number;
}

const percent = (value: unknown) => (typeof value === "number" ? `${(value * 100).toFixed(1)} %` : "—");

export function EndpointShareChart({ title, data }: { title: string; data: readonly EndpointShareDatum[] }) {
  return (
    <figure className="min-w-0 text-zinc-700 dark:text-zinc-300">
      <figcaption className="mb-1 text-sm font-medium">{title}</figcaption>
      <div className="w-full" style={{ height: 72 + data.length * 44 }}>
        <ResponsiveContainer width="100%" height="100%">
          {/* Endpoints down the side: addresses with pod names are too long to sit under vertical bars. */}
          <BarChart data={[...data]} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }} title={title}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} />
            <XAxis type="number" tick={AXIS_TICK} tickFormatter={percent} domain={[0, "auto"]} />
            <YAxis type="category" dataKey="label" tick={AXIS_TICK} interval={0} width={170} />
            <Tooltip formatter={percent} contentStyle={TOOLTIP_STYLE} />
            <Legend />
            <Bar dataKey="configured" name="configured share" fill="#2563eb" isAnimationActive={false} />
            <Bar dataKey="observed" name="observed share" fill="#d97706" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
