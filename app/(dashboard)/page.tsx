import Link from "next/link";
import { Table, type Column } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";
import { AgreementBadge } from "@/components/node/agreement-badge";
import { FillMeter } from "@/components/node/fill-meter";
import { StaleBadge, isStale } from "@/components/node/stale-badge";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";
import { contextQuery, readViewParams, viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { getDb } from "@/lib/server/db";
import { countRulesetRules } from "@/lib/server/queries/count-ruleset-rules";
import { getLatestConntrack, type LatestConntrack } from "@/lib/server/queries/get-latest-conntrack";
import { getNodeAgreement, type NodeAgreement } from "@/lib/server/queries/get-node-agreement";
import { listClusters } from "@/lib/server/queries/list-clusters";
import { listNodes, type NodeSummary } from "@/lib/server/queries/list-nodes";
import { listServicePorts, type ServicePortView } from "@/lib/server/queries/list-service-ports";
import { listChanges } from "@/lib/server/queries/list-changes";
import { isNotFound } from "@/lib/server/queries/not-found";

export const dynamic = "force-dynamic";

type Change = Extract<Awaited<ReturnType<typeof listChanges>>, { changes: unknown }>["changes"][number];

/** A node row: what listNodes says, with its rule count, conntrack fill and agreement. */
interface NodeRow extends NodeSummary {
  rules: number | null;
  conntrack: LatestConntrack | undefined;
  agreement: NodeAgreement | undefined;
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const view = readViewParams(await searchParams);
  const db = await getDb();
  const clusters = await listClusters(db);
  const cluster = clusters.find((c) => c.name === view.cluster) ?? clusters[0];
  const now = view.range.to;

  if (!cluster) {
    return (
      <section aria-labelledby="empty-title" className="rounded border border-dashed border-zinc-300 p-6 dark:border-zinc-700">
        <h1 id="empty-title" className="mb-2 text-lg font-semibold">No cluster has reported yet</h1>
        <p className={MUTED_CLASS}>
          Create an ingest token with <code>npx natwatch token create --cluster NAME</code> and point a node agent (or{" "}
          <code>npx natwatch import</code>) at this server. Nodes appear here after their first capture.
        </p>
      </section>
    );
  }
  const context = contextQuery({ ...view, cluster: cluster.name });

  const [nodes, services, changes, agreement, conntrack] = await Promise.all([
    listNodes(db, cluster.name),
    listServicePorts(db, cluster.name, { limit: 200 }),
    listChanges(db, cluster.name, { limit: 20, from: view.range.from, to: view.range.to }),
    getNodeAgreement(db, cluster.name),
    getLatestConntrack(db, cluster.name),
  ]);
  if (isNotFound(nodes) || isNotFound(services) || isNotFound(changes) || isNotFound(agreement) || isNotFound(conntrack)) {
    throw new Error(`cluster ${cluster.name} vanished while reading`);
  }
  const agreementByNode = new Map(agreement.nodes.map((a) => [a.node, a]));
  const rows: NodeRow[] = await Promise.all(
    nodes.map(async (n) => ({
      ...n,
      rules: n.current.ipv4 ? await countRulesetRules(db, n.current.ipv4.rulesetDigest) : null,
      conntrack: conntrack.get(n.name),
      agreement: agreementByNode.get(n.name),
    })),
  );
  const nodeHref = (node: string) => viewHref(`/nodes/${encodeURIComponent(node)}`, context);
  const compareHref = (a: string, b: string) => viewHref("/compare", { ...context, a, b });

  const nodeColumns: Column<NodeRow>[] = [
    { header: "node", cell: (n) => <Link href={nodeHref(n.name)} className={`font-mono ${LINK_CLASS}`}>{n.name}</Link> },
    { header: "role", cell: (n) => n.role },
    { header: "kube-proxy mode", cell: (n) => (n.mode ? `${n.mode} (${n.backend ?? "?"})` : "—") },
    {
      header: "last capture",
      cell: (n) => (
        <span className="whitespace-nowrap">
          <RelativeTime at={n.lastCaptureAt} now={now} />
          {isStale(n.lastCaptureAt, now) && <StaleBadge />}
        </span>
      ),
    },
    { header: "rules", numeric: true, cell: (n) => n.rules?.toLocaleString("en") ?? "—" },
    { header: "chains", numeric: true, cell: (n) => n.current.ipv4?.chains.toLocaleString("en") ?? "—" },
    { header: "conntrack", cell: (n) => (n.conntrack ? <FillMeter count={n.conntrack.count} max={n.conntrack.max} /> : <span className={MUTED_CLASS}>—</span>) },
    { header: "agreement", cell: (n) => (n.agreement?.snapshotId ? <AgreementBadge agrees={n.agreement.agrees} ports={n.agreement.disagreeingPorts} /> : "—") },
    {
      header: "compare",
      cell: (n) =>
        n.agreement?.comparePeer ? (
          <Link href={compareHref(n.name, n.agreement.comparePeer)} className={`whitespace-nowrap ${LINK_CLASS}`}>
            now, {shortName(n.name, cluster.name)} vs {shortName(n.agreement.comparePeer, cluster.name)}
          </Link>
        ) : (
          "—"
        ),
    },
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
        <span className={s.agreement.agreeing < s.agreement.nodes ? "font-medium text-red-800 dark:text-red-300" : ""}>
          {s.agreement.agreeing}/{s.agreement.nodes}
        </span>
      ),
    },
  ];

  const changeColumns: Column<Change>[] = [
    {
      header: "when",
      cell: (c) => (
        <Link href={viewHref(`/nodes/${encodeURIComponent(c.node)}/snapshots/${c.snapshotId}`, context)} className={LINK_CLASS}>
          <RelativeTime at={new Date(c.at)} now={now} />
        </Link>
      ),
    },
    { header: "node", cell: (c) => c.node },
    { header: "service port", cell: (c) => <span className="font-mono">{c.servicePort}</span> },
    { header: "change", cell: (c) => c.summary },
    { header: "cause", cell: (c) => (c.cause ? `${c.cause.kind} ${c.cause.name} ${c.cause.type} (+${(c.cause.delayMs / 1000).toFixed(1)} s)` : "—") },
    {
      header: "diff",
      cell: (c) => (
        <Link href={compareHref(`${c.node}@${new Date(new Date(c.at).getTime() - 1).toISOString()}`, String(c.snapshotId))} className={`whitespace-nowrap ${LINK_CLASS}`}>
          before vs after
        </Link>
      ),
    },
  ];

  return (
    <>
      <div className="mb-6 flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-xl font-semibold">
          Cluster <span className="font-mono">{cluster.name}</span>
        </h1>
        {clusters.length > 1 && (
          <nav aria-label="Clusters">
            <ul className="flex flex-wrap gap-1 text-sm">
              {clusters.map((c) => (
                <li key={c.name}>
                  <Link
                    href={viewHref("/", { ...context, cluster: c.name })}
                    aria-current={c.name === cluster.name ? "page" : undefined}
                    className="rounded border border-zinc-300 px-2 py-1 hover:bg-zinc-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 aria-[current=page]:bg-zinc-900 aria-[current=page]:text-white dark:border-zinc-700 dark:hover:bg-zinc-800 dark:aria-[current=page]:bg-zinc-100 dark:aria-[current=page]:text-zinc-900"
                  >
                    {c.name} <span className="text-xs opacity-80">({c.nodes})</span>
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </div>
      <p className={`mb-6 ${MUTED_CLASS}`}>
        {nodes.length} node{nodes.length === 1 ? "" : "s"}, {services.total} service port{services.total === 1 ? "" : "s"}
        {agreement.nodes.some((a) => !a.agrees && a.snapshotId) ? (
          <>
            ; <strong className="text-red-800 dark:text-red-300">{agreement.nodes.filter((a) => !a.agrees && a.snapshotId).map((a) => a.node).join(", ")}</strong> differ
            {agreement.nodes.filter((a) => !a.agrees && a.snapshotId).length === 1 ? "s" : ""} from the others
          </>
        ) : (
          "; every node agrees"
        )}
        .
      </p>
      <div className="space-y-8">
        <div className="overflow-x-auto">
          <Table caption="Nodes" columns={nodeColumns} rows={rows} rowKey={(n) => n.name} empty="No node has reported." />
        </div>
        <div className="overflow-x-auto">
          <Table caption="Service ports" columns={serviceColumns} rows={services.servicePorts} rowKey={(s) => `${s.name}/${s.protocol}`} empty="No service ports in the nodes' rules." />
        </div>
        <div className="overflow-x-auto">
          <Table caption="Latest changes" columns={changeColumns} rows={changes.changes} rowKey={(c) => String(c.id)} empty="No service changes in this time range; pick a longer one above." />
        </div>
      </div>
    </>
  );
}

/** `myk8s-worker2` → `worker2` inside cluster `myk8s`: kind prefixes node names with the cluster's. */
function shortName(node: string, cluster: string): string {
  return node.startsWith(`${cluster}-`) ? node.slice(cluster.length + 1) : node;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
