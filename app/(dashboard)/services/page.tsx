import Link from "next/link";
import { notFound } from "next/navigation";
import { AgreementCount } from "@/components/service/agreement";
import { ServiceFilters } from "@/components/service/service-filters";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, type Column } from "@/components/ui/table";
import { pickCluster } from "@/lib/dashboard/pick-cluster";
import { servicePortHref } from "@/lib/dashboard/service-port-url";
import { readServiceListParams } from "@/lib/dashboard/service-list-params";
import { contextQuery, readViewParams, viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { getDb } from "@/lib/server/db";
import { isNotFound } from "@/lib/server/queries/not-found";
import { searchServicePorts, type ServicePortListing } from "@/lib/server/queries/search-service-ports";

export const dynamic = "force-dynamic";

const PAGE_SIZE = 100;

export default async function ServicesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const view = readViewParams(params);
  const filters = readServiceListParams(params);
  const db = await getDb();
  const picked = await pickCluster(db, view.cluster);
  if ("unknown" in picked) {
    return (
      <p role="alert" className="text-zinc-700 dark:text-zinc-300">
        natwatch knows no cluster named <strong>{picked.unknown}</strong>. <Link href="/services" className="underline">Show the first cluster</Link>.
      </p>
    );
  }
  if ("none" in picked) {
    return <p className="text-zinc-700 dark:text-zinc-300">No cluster has reported yet, so there are no service ports to list.</p>;
  }
  const cluster = picked.cluster.name;
  const context = contextQuery(view);
  const now = new Date();
  const result = await searchServicePorts(db, cluster, {
    q: filters.q || undefined,
    type: filters.type,
    disagreeing: filters.disagreeing,
    at: view.range.key === "custom" ? view.range.to : undefined,
    limit: PAGE_SIZE,
    offset: (filters.page - 1) * PAGE_SIZE,
  });
  if (isNotFound(result)) notFound();

  const columns: Column<ServicePortListing>[] = [
    {
      header: "service port",
      cell: (s) => (
        <Link href={servicePortHref(s.name, s.protocol, context)} className="font-mono text-blue-700 underline hover:no-underline dark:text-blue-300">
          {s.name}
        </Link>
      ),
    },
    { header: "protocol", cell: (s) => s.protocol.toUpperCase() },
    { header: "types", cell: (s) => s.types.join(", ") || "—" },
    { header: "VIPs", cell: (s) => <span className="font-mono">{unique(s.nodes.flatMap((n) => [...n.clusterIPs, ...n.externalIPs, ...n.loadBalancerIPs])).join(", ") || "—"}</span> },
    { header: "node port", cell: (s) => unique(s.nodes.flatMap((n) => n.nodePorts.map(String))).join(", ") || "—" },
    { header: "endpoints", numeric: true, cell: (s) => endpointCount(s) },
    { header: "nodes in agreement", numeric: true, cell: (s) => <AgreementCount agreement={s.agreement} /> },
    { header: "last change", cell: (s) => (s.lastChangeAt ? <RelativeTime at={s.lastChangeAt} now={now} /> : "—") },
  ];

  const filtered = Boolean(filters.q || filters.type || filters.disagreeing);
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const pageHref = (page: number) => viewHref("/services", { ...context, q: filters.q, type: filters.type, disagreeing: filters.disagreeing ? "1" : undefined, page: page > 1 ? page : undefined });

  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Services</h1>
      <p className="mb-4 text-sm text-zinc-700 dark:text-zinc-300">
        Every service port the nodes of <strong>{cluster}</strong> program
        {view.range.key === "custom" ? <>, as of <time dateTime={view.range.to.toISOString()}>{view.range.to.toISOString()}</time></> : " now"}.
      </p>
      <ServiceFilters values={filters} context={context} clearHref={viewHref("/services", context)} />
      <p role="status" className="mb-2 text-sm text-zinc-600 dark:text-zinc-400">
        {result.total} service port{result.total === 1 ? "" : "s"}
        {filtered ? (result.total === 1 ? " matches" : " match") : ""}
        {pages > 1 ? ` — page ${filters.page} of ${pages}` : ""}
      </p>
      <Table
        caption="Service ports"
        columns={columns}
        rows={result.servicePorts}
        rowKey={(s) => `${s.name}/${s.protocol}`}
        empty={filtered ? "No service port matches these filters." : "No service ports in the nodes' rules."}
      />
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-3 flex gap-3 text-sm">
          {filters.page > 1 && <Link href={pageHref(filters.page - 1)} className="underline">Previous page</Link>}
          {filters.page < pages && <Link href={pageHref(filters.page + 1)} className="underline">Next page</Link>}
        </nav>
      )}
    </>
  );
}

/** Endpoints the majority balances to; a lagging node's other count is shown beside it. */
function endpointCount(s: ServicePortListing): string {
  const counts = unique(s.nodes.filter((n) => n.present).map((n) => String(n.endpoints.length)));
  const majority = s.nodes.find((n) => n.agrees)?.endpoints.length ?? 0;
  const others = counts.filter((c) => c !== String(majority));
  return others.length ? `${majority} (${others.join(", ")} on other nodes)` : String(majority);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
