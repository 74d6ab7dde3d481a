import { Table, type Column } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";
import { getDb } from "@/lib/server/db";
import { listClusters } from "@/lib/server/queries/list-clusters";
import { listNodes, type NodeSummary } from "@/lib/server/queries/list-nodes";
import { listServicePorts, type ServicePortView } from "@/lib/server/queries/list-service-ports";
import { listChanges } from "@/lib/server/queries/list-changes";
import { isNotFound } from "@/lib/server/queries/not-found";

export const dynamic = "force-dynamic";

/** A node is stale when its agent has not reported for this long (agents capture every 30 s by default). */
const STALE_AFTER_MS = 5 * 60_000;

type Change = Extract<Awaited<ReturnType<typeof listChanges>>, { changes: unknown }>["changes"][number];

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ cluster?: string }> }) {
  const db = await getDb();
  const clusters = await listClusters(db);
  const { cluster: wanted } = await searchParams;
  const cluster = clusters.find((c) => c.name === wanted) ?? clusters[0];
  const now = new Date();

  if (!cluster) {
    return (
      <>
        <p className="text-zinc-600 dark:text-zinc-400">
          No cluster has reported yet. Create an ingest token with <code>npx natwatch token create --cluster NAME</code> and
          point a node agent (or <code>npx natwatch import</code>) at this server.
        </p>
      </>
    );
  }

  const [nodes, services, changes] = await Promise.all([
    listNodes(db, cluster.name),
    listServicePorts(db, cluster.name, { limit: 200 }),
    listChanges(db, cluster.name, { limit: 20 }),
  ]);
  if (isNotFound(nodes) || isNotFound(services) || isNotFound(changes)) throw new Error(`cluster ${cluster.name} vanished while reading`);

  const nodeColumns: Column<NodeSummary>[] = [
    { header: "node", cell: (n) => n.name },
    { header: "role", cell: (n) => n.role },
    { header: "mode", cell: (n) => `${n.mode ?? "?"} (${n.backend ?? "?"})` },
    {
      header: "last capture",
      cell: (n) => (
        <span className={now.getTime() - n.lastCaptureAt.getTime() > STALE_AFTER_MS ? "font-medium text-amber-700 dark:text-amber-400" : ""}>
          <RelativeTime at={n.lastCaptureAt} now={now} />
        </span>
      ),
    },
    { header: "chains", numeric: true, cell: (n) => n.current.ipv4?.chains ?? "—" },
    { header: "snapshots", numeric: true, cell: (n) => n.snapshots },
    { header: "captures", numeric: true, cell: (n) => n.captures },
  ];

  const serviceColumns: Column<ServicePortView>[] = [
    { header: "service port", cell: (s) => <span className="font-mono">{s.name}</span> },
    { header: "protocol", cell: (s) => s.protocol },
    { header: "cluster IP", cell: (s) => unique(s.nodes.flatMap((n) => n.clusterIPs)).join(", ") },
    { header: "node ports", cell: (s) => unique(s.nodes.flatMap((n) => n.nodePorts.map(String))).join(", ") || "—" },
    { header: "endpoints", numeric: true, cell: (s) => Math.max(0, ...s.nodes.map((n) => n.endpoints.length)) },
    {
      header: "nodes in agreement",
      numeric: true,
      cell: (s) => (
        <span className={s.agreement.agreeing < s.agreement.nodes ? "font-medium text-red-700 dark:text-red-400" : ""}>
          {s.agreement.agreeing}/{s.agreement.nodes}
        </span>
      ),
    },
  ];

  const changeColumns: Column<Change>[] = [
    { header: "when", cell: (c) => <RelativeTime at={new Date(c.at)} now={now} /> },
    { header: "node", cell: (c) => c.node },
    { header: "service port", cell: (c) => <span className="font-mono">{c.servicePort}</span> },
    { header: "change", cell: (c) => c.summary },
    { header: "cause", cell: (c) => (c.cause ? `${c.cause.kind} ${c.cause.name} ${c.cause.type} (+${(c.cause.delayMs / 1000).toFixed(1)} s)` : "—") },
  ];

  return (
    <>
      <p className="mb-6 text-zinc-600 dark:text-zinc-400">
        Cluster <strong>{cluster.name}</strong>: {nodes.length} node{nodes.length === 1 ? "" : "s"}, {services.total} service port
        {services.total === 1 ? "" : "s"}.
      </p>
      <div className="space-y-8">
        <Table caption="Nodes" columns={nodeColumns} rows={nodes} rowKey={(n) => n.name} empty="No node has reported." />
        <Table caption="Service ports" columns={serviceColumns} rows={services.servicePorts} rowKey={(s) => `${s.name}/${s.protocol}`} empty="No service ports in the nodes' rules." />
        <Table caption="Latest changes" columns={changeColumns} rows={changes.changes} rowKey={(c) => String(c.id)} empty="No service changes recorded yet." />
      </div>
    </>
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
