import { MUTED_CLASS } from "./styles";
import type { LiveFlows } from "@/lib/server/queries/list-live-flows";

/**
 * Live DNAT'd flows of a node per service port: which endpoints its connections went to, by conntrack state. One
 * table per service port keeps each readable on its own (caption = the port), which a screen reader announces.
 */
export function LiveFlowsTables({ flows }: { flows: LiveFlows }) {
  if (!flows.capturedAt) return <p className={MUTED_CLASS}>This node has not sent conntrack data: no live flows to show.</p>;
  if (flows.servicePorts.length === 0) return <p className={MUTED_CLASS}>No DNAT&apos;d flows in the latest sample.</p>;
  return (
    <div className="grid gap-6 md:grid-cols-2">
      {flows.servicePorts.map((port) => {
        const states = [...new Set(port.endpoints.flatMap((e) => Object.keys(e.states)))].sort();
        const caption = port.servicePort ?? "no service port (destination not in the rules)";
        return (
          <table key={`${port.servicePort} ${port.protocol}`} className="w-full border-collapse text-sm">
            <caption className="mb-1 text-left">
              <span className="font-mono font-medium">{caption}</span>{" "}
              <span className={MUTED_CLASS}>
                {port.protocol} → {port.destinations.join(", ")}: {port.total} flow{port.total === 1 ? "" : "s"}
              </span>
            </caption>
            <thead>
              <tr className="border-b border-zinc-300 dark:border-zinc-700">
                <th scope="col" className="px-2 py-1 text-left font-medium text-zinc-600 dark:text-zinc-400">endpoint</th>
                {states.map((s) => (
                  <th key={s} scope="col" className="px-2 py-1 text-right font-medium text-zinc-600 dark:text-zinc-400">{s || "(no state)"}</th>
                ))}
                <th scope="col" className="px-2 py-1 text-right font-medium text-zinc-600 dark:text-zinc-400">total</th>
              </tr>
            </thead>
            <tbody>
              {port.endpoints.map((e) => (
                <tr key={e.endpoint} className="border-b border-zinc-100 dark:border-zinc-800">
                  <th scope="row" className="px-2 py-1 text-left font-mono font-normal">{e.endpoint}</th>
                  {states.map((s) => (
                    <td key={s} className="px-2 py-1 text-right tabular-nums">{e.states[s] ?? 0}</td>
                  ))}
                  <td className="px-2 py-1 text-right tabular-nums">{e.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </div>
  );
}
