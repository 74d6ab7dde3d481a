/**
 * Endpoint distribution: configured share vs observed new connections per endpoint (from the balancing rules' nat
 * counters) for the chosen window — overall and on the selected node — and over time, with the counts as a table.
 */
import { EndpointSeriesChart } from "@/components/charts/endpoint-series-chart";
import { EndpointShareChart, type EndpointShareDatum } from "@/components/charts/endpoint-share-chart";
import { seriesColor } from "@/components/charts/palette";
import { formatDelay, formatMoment, formatShare } from "@/lib/dashboard/format";
import type { EndpointPod } from "@/lib/server/queries/find-endpoint-pods";
import type { EndpointTraffic, EndpointTrafficView } from "@/lib/server/queries/get-endpoint-traffic";

function label(endpoint: string, pods: ReadonlyMap<string, EndpointPod>): string {
  const pod = pods.get(endpoint);
  return pod ? `${endpoint} (${pod.name})` : endpoint;
}

function shareData(endpoints: readonly EndpointTrafficView[], pods: ReadonlyMap<string, EndpointPod>): EndpointShareDatum[] {
  return endpoints.map((e) => ({
    endpoint: e.endpoint,
    label: label(e.endpoint, pods),
    configured: e.configuredShare,
    observed: e.observedShare,
    newConnections: e.newConnections,
  }));
}

export function EndpointDistribution({ traffic, node, pods }: { traffic: EndpointTraffic; node: string; pods: ReadonlyMap<string, EndpointPod> }) {
  const onNode = traffic.nodes.find((n) => n.node === node);
  const window = `${formatMoment(traffic.from)} and ${formatMoment(traffic.to)}`;
  const counted = traffic.overall.newConnections;
  const colorOf = new Map(traffic.overall.endpoints.map((e, i) => [e.endpoint, seriesColor(i)]));
  const countsOf = new Map(traffic.nodes.map((n) => [n.node, new Map(n.endpoints.map((e) => [e.endpoint, e.newConnections]))]));
  return (
    <div className="space-y-4">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        {counted === 0
          ? `No new connections were counted between ${window}: the shares below are what the rules configure.`
          : `${counted} new connection${counted === 1 ? "" : "s"} counted between ${window}, in buckets of ${formatDelay(traffic.bucketSeconds * 1000)}.`}{" "}
        Only a connection&apos;s first packet traverses the nat table, so a balancing rule&apos;s packet counter is the number of new connections the
        node sent to that endpoint.
      </p>
      <div className="grid gap-4 md:grid-cols-2">
        <EndpointShareChart title="Configured vs observed share, all nodes" data={shareData(traffic.overall.endpoints, pods)} />
        {onNode && <EndpointShareChart title={`Configured vs observed share, ${node}`} data={shareData(onNode.endpoints, pods)} />}
      </div>
      {counted > 0 && (
        <EndpointSeriesChart
          title="New connections per endpoint over time, all nodes"
          buckets={traffic.buckets.map((b) => b.toISOString())}
          series={traffic.overall.endpoints.map((e) => ({ endpoint: e.endpoint, label: label(e.endpoint, pods), values: e.series, color: colorOf.get(e.endpoint) }))}
        />
      )}
      {onNode && onNode.newConnections > 0 && traffic.nodes.length > 1 && (
        <EndpointSeriesChart
          title={`New connections per endpoint over time, ${node}`}
          buckets={traffic.buckets.map((b) => b.toISOString())}
          series={onNode.endpoints.map((e) => ({ endpoint: e.endpoint, label: label(e.endpoint, pods), values: e.series, color: colorOf.get(e.endpoint) }))}
        />
      )}
      <table className="w-full border-collapse text-sm">
        <caption className="mb-2 text-left text-base font-semibold">Observed new connections</caption>
        <thead>
          <tr className="border-b border-zinc-300 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            <th scope="col" className="px-2 py-1 text-left font-medium">endpoint</th>
            <th scope="col" className="px-2 py-1 text-right font-medium">configured share</th>
            <th scope="col" className="px-2 py-1 text-right font-medium">observed share</th>
            <th scope="col" className="px-2 py-1 text-right font-medium">all nodes</th>
            {traffic.nodes.map((n) => (
              <th key={n.node} scope="col" className="px-2 py-1 text-right font-medium">{n.node}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {traffic.overall.endpoints.map((e) => (
            <tr key={e.endpoint} className="border-b border-zinc-100 dark:border-zinc-800">
              <th scope="row" className="px-2 py-1 text-left font-mono font-normal">{label(e.endpoint, pods)}</th>
              <td className="px-2 py-1 text-right tabular-nums">{formatShare(e.configuredShare)}</td>
              <td className="px-2 py-1 text-right tabular-nums">{formatShare(e.observedShare)}</td>
              <td className="px-2 py-1 text-right tabular-nums">{e.newConnections}</td>
              {traffic.nodes.map((n) => (
                <td key={n.node} className="px-2 py-1 text-right tabular-nums">{countsOf.get(n.node)?.get(e.endpoint) ?? "—"}</td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr className="border-t border-zinc-300 font-medium dark:border-zinc-700">
            <th scope="row" className="px-2 py-1 text-left">total</th>
            <td className="px-2 py-1" />
            <td className="px-2 py-1" />
            <td className="px-2 py-1 text-right tabular-nums">{counted}</td>
            {traffic.nodes.map((n) => (
              <td key={n.node} className="px-2 py-1 text-right tabular-nums">{n.newConnections}</td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
