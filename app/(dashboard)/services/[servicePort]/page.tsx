import Link from "next/link";
import { notFound } from "next/navigation";
import { AgreementCount } from "@/components/service/agreement";
import { ChainFlow } from "@/components/service/chain-flow";
import { ChangeTimeline } from "@/components/service/change-timeline";
import { EndpointDistribution } from "@/components/service/endpoint-distribution";
import { EndpointsTable } from "@/components/service/endpoints-table";
import { NodeSelector } from "@/components/service/node-selector";
import { groupChanges } from "@/lib/dashboard/change-timeline";
import { formatClock } from "@/lib/dashboard/format";
import { describeDisagreement } from "@/lib/dashboard/node-disagreement";
import { pickCluster } from "@/lib/dashboard/pick-cluster";
import { parseServicePortParam, servicePortHref } from "@/lib/dashboard/service-port-url";
import { contextQuery, param, readViewParams, viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { getDb } from "@/lib/server/db";
import { findEndpointPods } from "@/lib/server/queries/find-endpoint-pods";
import { getChangeRuleDiffs } from "@/lib/server/queries/get-change-rule-diffs";
import { getEndpointTraffic } from "@/lib/server/queries/get-endpoint-traffic";
import { getServicePort } from "@/lib/server/queries/get-service-port";
import { getServicePortModels } from "@/lib/server/queries/get-service-port-models";
import { listChanges } from "@/lib/server/queries/list-changes";
import { isNotFound } from "@/lib/server/queries/not-found";
import { servicePortTypes } from "@/lib/server/queries/search-service-ports";

export const dynamic = "force-dynamic";

/** Changes read for the timeline; a busier range says that older ones are left out. */
const TIMELINE_LIMIT = 200;
/** Timeline entries whose rule diffs are read with the page (≈5 ms per node and entry); older ones link to the API. */
const RULE_DIFF_ENTRIES = 12;

type Props = { params: Promise<{ servicePort: string }>; searchParams: Promise<SearchParams> };

export async function generateMetadata({ params }: Props) {
  const ref = parseServicePortParam((await params).servicePort);
  return { title: ref ? `${ref.name} · natwatch` : "natwatch" };
}

export default async function ServicePortPage({ params, searchParams }: Props) {
  const ref = parseServicePortParam((await params).servicePort);
  if (!ref) notFound();
  const query = await searchParams;
  const view = readViewParams(query);
  const db = await getDb();
  const picked = await pickCluster(db, view.cluster);
  if (!("cluster" in picked)) notFound();
  const cluster = picked.cluster.name;
  const context = contextQuery(view);
  const { from, to } = view.range;
  // A preset range ends now: the rules are the latest ones. A custom range shows the rules as of its end.
  const at = view.range.key === "custom" ? to : undefined;

  const port = await getServicePort(db, cluster, ref.name, { protocol: ref.protocol ?? undefined, at });
  if (isNotFound(port)) notFound();
  const [models, changes, traffic] = await Promise.all([
    getServicePortModels(db, cluster, port.name, { protocol: port.protocol, at }),
    listChanges(db, cluster, { service: port.name, from, to, limit: TIMELINE_LIMIT }),
    getEndpointTraffic(db, cluster, port.name, { from, to }),
  ]);
  if (isNotFound(models) || isNotFound(changes) || isNotFound(traffic)) notFound();

  const wanted = param(query, "node");
  const selected =
    port.nodes.find((n) => n.node === wanted) ?? port.nodes.find((n) => n.present && n.agrees) ?? port.nodes.find((n) => n.present) ?? port.nodes[0];
  if (!selected) notFound();
  const model = models.nodes.find((n) => n.node === selected.node)?.model ?? null;
  const reference = selected.agrees && selected.present ? selected : port.nodes.find((n) => n.agrees && n.present);
  const disagreeing = port.nodes.filter((n) => !n.agrees);

  const addresses = [...port.nodes.flatMap((n) => n.endpoints.map((e) => e.address)), ...traffic.overall.endpoints.map((e) => e.endpoint)];
  const pods = await findEndpointPods(db, cluster, addresses, at ?? new Date());
  if (isNotFound(pods)) notFound();
  const entries = groupChanges(changes.changes, port.nodes.map((n) => n.node));
  const diffs = await getChangeRuleDiffs(db, cluster, port.name, entries.slice(0, RULE_DIFF_ENTRIES).flatMap((e) => e.nodes.map((n) => n.snapshotId)));
  if (isNotFound(diffs)) notFound();

  const verifiedOf = new Map((model?.endpoints ?? []).map((e) => [`${e.via} ${e.sepChain}`, e.chainVerified]));
  const endpointRows = selected.endpoints.map((e) => ({ ...e, chainVerified: verifiedOf.get(`${e.via} ${e.sepChain}`) ?? false, pod: pods.get(e.address) ?? null }));
  const nodeHref = (node: string) => servicePortHref(port.name, port.protocol, { ...context, node });
  const unique = (values: string[]) => [...new Set(values)];

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={viewHref("/services", context)} className="text-blue-700 underline hover:no-underline dark:text-blue-300">
          ← All services
        </Link>
      </p>
      <h1 className="font-mono text-xl font-semibold break-all">{port.name}</h1>
      <dl className="mt-2 mb-6 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-zinc-600 dark:text-zinc-400">protocol</dt>
        <dd>{port.protocol.toUpperCase()}</dd>
        <dt className="text-zinc-600 dark:text-zinc-400">types</dt>
        <dd>{servicePortTypes(selected).join(", ") || "—"}</dd>
        <dt className="text-zinc-600 dark:text-zinc-400">VIPs</dt>
        <dd className="font-mono">{unique(port.nodes.flatMap((n) => [...n.clusterIPs, ...n.externalIPs, ...n.loadBalancerIPs])).join(", ") || "—"}</dd>
        <dt className="text-zinc-600 dark:text-zinc-400">node port</dt>
        <dd>{unique(port.nodes.flatMap((n) => n.nodePorts.map(String))).join(", ") || "—"}</dd>
        <dt className="text-zinc-600 dark:text-zinc-400">nodes in agreement</dt>
        <dd><AgreementCount agreement={port.agreement} /></dd>
        <dt className="text-zinc-600 dark:text-zinc-400">rules as of</dt>
        <dd>{at ? <time dateTime={at.toISOString()}>{at.toISOString()}</time> : `now (cluster ${cluster})`}</dd>
      </dl>

      <section aria-labelledby="nodes-heading" className="mb-8">
        <h2 id="nodes-heading" className="mb-2 text-lg font-semibold">Nodes</h2>
        <NodeSelector nodes={port.nodes} selected={selected.node} hrefOf={nodeHref} />
        {disagreeing.length > 0 && (
          <div role="note" aria-label="Disagreeing nodes" className="mt-3 rounded border border-red-300 bg-red-50 p-3 text-sm text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
            <p className="font-semibold">
              {disagreeing.length} of {port.agreement.nodes} node{port.agreement.nodes === 1 ? "" : "s"} program this port differently from the rest:
            </p>
            <ul className="mt-1 list-disc pl-5">
              {disagreeing.map((n) => (
                <li key={n.node}>
                  <Link href={nodeHref(n.node)} className="underline">{n.node}</Link>
                  {reference && reference.node !== n.node ? ` ${describeDisagreement(reference, n).join("; ")}` : " differs"}
                  {n.present && <> (rules since {formatClock(models.nodes.find((m) => m.node === n.node)?.since ?? n.lastSeen)})</>}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section aria-labelledby="flow-heading" className="mb-8">
        <h2 id="flow-heading" className="mb-2 text-lg font-semibold">Chain path</h2>
        {model ? (
          <ChainFlow node={selected.node} port={model} pods={pods} />
        ) : (
          <p className="text-sm text-zinc-700 dark:text-zinc-300">{selected.node} has no rules for this port{at ? " at that time" : ""}.</p>
        )}
      </section>

      <section aria-labelledby="endpoints-heading" className="mb-8">
        <h2 id="endpoints-heading" className="sr-only">Endpoints</h2>
        <EndpointsTable node={selected.node} rows={endpointRows} />
        <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
          Effective share: the probability ladder&apos;s result, p<sub>i</sub> · Π<sub>j&lt;i</sub>(1 − p<sub>j</sub>). Rule counter: new connections since kube-proxy last wrote the chain.
        </p>
      </section>

      <section aria-labelledby="distribution-heading" className="mb-8">
        <h2 id="distribution-heading" className="mb-2 text-lg font-semibold">Endpoint distribution</h2>
        <EndpointDistribution traffic={traffic} node={selected.node} pods={pods} />
      </section>

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading" className="mb-2 text-lg font-semibold">Change timeline</h2>
        <ChangeTimeline
          entries={entries}
          diffs={diffs}
          diffHref={(node, changedAt, snapshotId) =>
            viewHref(`/api/v1/clusters/${encodeURIComponent(cluster)}/diff`, { from: `${node}@${new Date(changedAt.getTime() - 1).toISOString()}`, to: snapshotId })
          }
          more={changes.nextCursor !== null}
        />
      </section>
    </>
  );
}
