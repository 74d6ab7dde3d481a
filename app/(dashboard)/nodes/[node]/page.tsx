import Link from "next/link";
import { notFound } from "next/navigation";
import { ConntrackFillChart, ConntrackStatsChart, type ConntrackChartPoint } from "@/components/charts/conntrack-chart";
import { LiveFlowsTables } from "@/components/node/live-flows";
import { PerCpuTable } from "@/components/node/per-cpu-table";
import { SnapshotTimeline } from "@/components/node/snapshot-timeline";
import { StaleBadge, isStale } from "@/components/node/stale-badge";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";
import { Table, type Column } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";
import { openNodeView } from "@/lib/dashboard/node-view";
import { viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { getConntrackSeries } from "@/lib/server/queries/get-conntrack-series";
import { getLatestConntrack } from "@/lib/server/queries/get-latest-conntrack";
import { getNodeAgreement } from "@/lib/server/queries/get-node-agreement";
import { listLiveFlows } from "@/lib/server/queries/list-live-flows";
import { listNodes } from "@/lib/server/queries/list-nodes";
import { listSnapshots, type SnapshotSummary } from "@/lib/server/queries/list-snapshots";
import { isNotFound } from "@/lib/server/queries/not-found";

export const dynamic = "force-dynamic";

export default async function NodePage({ params, searchParams }: { params: Promise<{ node: string }>; searchParams: Promise<SearchParams> }) {
  const [{ node: nodeParam }, query] = await Promise.all([params, searchParams]);
  const { nodeName, view, db, cluster, context } = await openNodeView(nodeParam, query);
  const { from, to } = view.range;

  const [nodes, snapshots, series, latest, flows, agreement] = await Promise.all([
    listNodes(db, cluster),
    listSnapshots(db, cluster, nodeName, { from, to, family: "ipv4" }),
    getConntrackSeries(db, cluster, nodeName, { from, to }),
    getLatestConntrack(db, cluster, { at: to }),
    listLiveFlows(db, cluster, nodeName, { at: to }),
    getNodeAgreement(db, cluster),
  ]);
  if (isNotFound(nodes) || isNotFound(snapshots) || isNotFound(series) || isNotFound(latest) || isNotFound(flows) || isNotFound(agreement)) notFound();
  const node = nodes.find((n) => n.name === nodeName);
  if (!node) notFound();
  const standing = agreement.nodes.find((a) => a.node === nodeName);
  const snapshotHref = (id: number) => viewHref(`/nodes/${encodeURIComponent(nodeName)}/snapshots/${id}`, context);
  const compareHref = (a: string, b: string) => viewHref("/compare", { ...context, a, b });
  const points: ConntrackChartPoint[] = series.points.map((p) => ({
    at: p.at.toISOString(),
    count: p.count,
    max: p.max,
    insertFailed: p.increase?.insertFailed ?? 0,
    drop: p.increase?.drop ?? 0,
    earlyDrop: p.increase?.earlyDrop ?? 0,
    invalid: p.increase?.invalid ?? 0,
    error: p.increase?.error ?? 0,
    searchRestart: p.increase?.searchRestart ?? 0,
  }));
  const conntrackNow = latest.get(nodeName);
  // Newest first; each snapshot's predecessor is the next row (the list holds the state in place at `from` too).
  const ordered = snapshots.snapshots;
  const snapshotColumns: Column<SnapshotSummary>[] = [
    { header: "snapshot", cell: (s) => <Link href={snapshotHref(s.id)} className={LINK_CLASS}>#{s.id}</Link> },
    { header: "from", cell: (s) => <time dateTime={s.firstSeen.toISOString()}>{s.firstSeen.toISOString().replace("T", " ").slice(0, 19)}</time> },
    { header: "last confirmed", cell: (s) => <RelativeTime at={s.lastSeen} now={to} /> },
    { header: "captures", numeric: true, cell: (s) => s.captures },
    { header: "chains", numeric: true, cell: (s) => s.chains },
    { header: "service changes", numeric: true, cell: (s) => s.changes },
    {
      header: "diff",
      cell: (s) => {
        const previous = ordered[ordered.indexOf(s) + 1];
        return previous ? (
          <Link href={compareHref(String(previous.id), String(s.id))} className={LINK_CLASS}>vs #{previous.id}</Link>
        ) : (
          <span className={MUTED_CLASS}>first in range</span>
        );
      },
    },
  ];

  return (
    <div className="space-y-10">
      <div>
        <p className="text-sm">
          <Link href={viewHref("/", context)} className={LINK_CLASS}>Overview</Link> <span aria-hidden>›</span> node
        </p>
        <h1 className="font-mono text-xl font-semibold">{node.name}</h1>
        <p className={MUTED_CLASS}>
          {node.role}, kube-proxy {node.mode ?? "?"} ({node.backend ?? "?"}); last capture <RelativeTime at={node.lastCaptureAt} now={to} />
          {isStale(node.lastCaptureAt, to) && <StaleBadge />}; {node.snapshots} snapshots over {node.captures} captures.
        </p>
        <ul className="mt-2 flex flex-wrap gap-4 text-sm">
          {node.current.ipv4 && (
            <li>
              <Link href={snapshotHref(node.current.ipv4.snapshotId)} className={LINK_CLASS}>current rules (snapshot #{node.current.ipv4.snapshotId})</Link>
            </li>
          )}
          {standing?.comparePeer && (
            <li>
              <Link href={compareHref(node.name, standing.comparePeer)} className={LINK_CLASS}>compare now with {standing.comparePeer}</Link>
            </li>
          )}
          <li>
            <Link href={compareHref(`${node.name}@${from.toISOString()}`, node.name)} className={LINK_CLASS}>compare with itself at the range start</Link>
          </li>
        </ul>
        {standing && !standing.agrees && standing.snapshotId && (
          <p role="status" className="mt-3 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
            This node&apos;s rules differ from the majority on {standing.disagreeingPorts.map((p) => <code key={p} className="mx-1">{p}</code>)}
          </p>
        )}
      </div>

      <section aria-labelledby="history-title" className="space-y-4">
        <h2 id="history-title" className="sr-only">Snapshots</h2>
        {ordered.length === 0 ? (
          <p className={MUTED_CLASS}>No ipv4 snapshot of this node in the range.</p>
        ) : (
          <SnapshotTimeline intervals={ordered.map((s) => ({ snapshot: s, href: snapshotHref(s.id) }))} from={from} to={to} />
        )}
        <div className="overflow-x-auto">
          <Table caption="Snapshots in range" columns={snapshotColumns} rows={ordered} rowKey={(s) => String(s.id)} empty="No snapshot in this range." />
        </div>
      </section>

      <section aria-labelledby="conntrack-title" className="space-y-4">
        <h2 id="conntrack-title" className="text-base font-semibold">Conntrack</h2>
        {points.length === 0 ? (
          <p className={MUTED_CLASS}>No conntrack samples in this range.</p>
        ) : (
          <div className="grid gap-6 lg:grid-cols-2">
            <ConntrackFillChart points={points} />
            <ConntrackStatsChart points={points} />
          </div>
        )}
        <p className={`text-xs ${MUTED_CLASS}`}>{series.bucketSeconds} s buckets; entries are each bucket&apos;s peak, counters the growth since the previous bucket.</p>
        {conntrackNow && (
          <div className="overflow-x-auto">
            <PerCpuTable caption={`Per-CPU statistics at the latest capture (${conntrackNow.capturedAt.toISOString().replace("T", " ").slice(0, 19)} UTC)`} cpus={conntrackNow.perCpu} />
          </div>
        )}
      </section>

      <section aria-labelledby="flows-title" className="space-y-3">
        <h2 id="flows-title" className="text-base font-semibold">Live flows per service</h2>
        {flows.capturedAt && <p className={`text-sm ${MUTED_CLASS}`}>From the conntrack sample of <RelativeTime at={flows.capturedAt} now={to} />.</p>}
        <LiveFlowsTables flows={flows} />
      </section>
    </div>
  );
}
