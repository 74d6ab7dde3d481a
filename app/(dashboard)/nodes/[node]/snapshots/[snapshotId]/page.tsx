import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { ChainList } from "@/components/snapshot/chain-list";
import { chainAnchor } from "@/components/snapshot/chain-anchor";
import { OpenOnHash } from "@/components/snapshot/open-on-hash";
import { chainMatches, searchPattern } from "@/lib/dashboard/ruleset-search";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";
import { openNodeView } from "@/lib/dashboard/node-view";
import { param, viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { findCluster } from "@/lib/server/queries/find-cluster";
import { getSnapshotRuleset } from "@/lib/server/queries/get-snapshot-ruleset";
import { isNotFound } from "@/lib/server/queries/not-found";
import { resolveSnapshotRef } from "@/lib/server/queries/snapshot-ref";
import { parseTimeParam } from "@/lib/server/queries/time-param";

export const dynamic = "force-dynamic";

/** Rulesets up to this many chains open expanded; bigger ones start collapsed (a 10k-service node has ~70k). */
const EXPAND_UP_TO = 80;

export default async function SnapshotPage({ params, searchParams }: { params: Promise<{ node: string; snapshotId: string }>; searchParams: Promise<SearchParams> }) {
  const [{ node: nodeParam, snapshotId }, query] = await Promise.all([params, searchParams]);
  const { nodeName, db, cluster, context } = await openNodeView(nodeParam, query);
  const nodePath = `/nodes/${encodeURIComponent(nodeName)}`;

  // By time: /nodes/N/snapshots/now, …/1h, …/2026-01-05T10:00:00Z name the snapshot the node had then.
  if (!/^\d{1,12}$/.test(snapshotId)) {
    const at = parseTimeParam(decodeURIComponent(snapshotId), new Date());
    const clusterRef = await findCluster(db, cluster);
    if (!at || isNotFound(clusterRef)) notFound();
    const resolved = await resolveSnapshotRef(db, clusterRef, { node: nodeName, at }, "ipv4");
    if (isNotFound(resolved)) notFound();
    redirect(viewHref(`${nodePath}/snapshots/${resolved.snapshot.id}`, context));
  }

  const ruleset = await getSnapshotRuleset(db, cluster, nodeName, Number(snapshotId), "json");
  if (isNotFound(ruleset) || ruleset.format !== "json") notFound();
  const { snapshot, chains } = ruleset;

  const term = (param(query, "q") ?? "").trim();
  const rulePattern = searchPattern(term);
  const namePattern = term ? new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i") : null;
  const shown = new Set(chains.filter((c) => chainMatches(c, term, rulePattern)));
  const pageHref = viewHref(`${nodePath}/snapshots/${snapshot.id}`, context);
  const hrefFor = (table: string, chain: string) => {
    const target = chains.find((c) => c.table === table && c.chain === chain);
    return target && shown.has(target) ? `#${chainAnchor(table, chain)}` : `${pageHref}#${chainAnchor(table, chain)}`;
  };
  const downloadHref = `/api/v1/clusters/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(nodeName)}/snapshots/${snapshot.id}/ruleset`;
  const ruleCount = chains.reduce((sum, c) => sum + c.rules.length, 0);
  const time = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19);

  return (
    <div className="space-y-6">
      <OpenOnHash />
      <div>
        <p className="text-sm">
          <Link href={viewHref("/", context)} className={LINK_CLASS}>Overview</Link> <span aria-hidden>›</span>{" "}
          <Link href={viewHref(nodePath, context)} className={`font-mono ${LINK_CLASS}`}>{nodeName}</Link> <span aria-hidden>›</span> snapshot
        </p>
        <h1 className="text-xl font-semibold">
          <span className="font-mono">{nodeName}</span> snapshot #{snapshot.id}
        </h1>
        <p className={MUTED_CLASS}>
          {snapshot.family}, kube-proxy {snapshot.mode} ({snapshot.backend}); these rules held from {time(snapshot.firstSeen)} to {time(snapshot.lastSeen)} UTC. {chains.length} chains, {ruleCount} rules.{" "}
          <span className="font-mono text-xs">{snapshot.rulesetDigest.slice(0, 12)}</span>
        </p>
        <ul className="mt-2 flex flex-wrap gap-4 text-sm">
          <li>
            <a href={downloadHref} download={`${nodeName}-snapshot-${snapshot.id}.rules`} className={LINK_CLASS}>Download as iptables-save text</a>
          </li>
          <li>
            <Link href={viewHref("/compare", { ...context, a: `${nodeName}@${new Date(snapshot.firstSeen.getTime() - 1).toISOString()}`, b: String(snapshot.id) })} className={LINK_CLASS}>
              compare with the state before
            </Link>
          </li>
          <li>
            <Link href={viewHref("/compare", { ...context, a: String(snapshot.id), b: nodeName })} className={LINK_CLASS}>compare with the node now</Link>
          </li>
        </ul>
      </div>

      <form method="get" role="search" className="flex flex-wrap items-end gap-2" aria-label="Search the ruleset">
        {Object.entries(context).map(([name, value]) => (value ? <input key={name} type="hidden" name={name} value={value} /> : null))}
        <label className="flex flex-col text-sm">
          <span>Search by IP, port or chain name</span>
          <input
            type="search"
            name="q"
            defaultValue={term}
            placeholder="10.200.1.201, 30007, KUBE-SVC-…"
            className="w-80 rounded border border-zinc-400 bg-white px-2 py-1 font-mono text-sm text-zinc-900 dark:border-zinc-600 dark:bg-zinc-900 dark:text-zinc-100"
          />
        </label>
        <button type="submit" className="rounded bg-zinc-900 px-3 py-1.5 text-sm text-white hover:bg-zinc-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300">
          Search
        </button>
        {term && (
          <Link href={pageHref} className={`text-sm ${LINK_CLASS}`}>clear</Link>
        )}
      </form>
      <p role="status" className={`text-sm ${MUTED_CLASS}`}>
        {term ? `${shown.size} of ${chains.length} chains match “${term}”.` : `${chains.length} chains${chains.length > EXPAND_UP_TO ? ", collapsed: open one, or search" : ""}.`}
      </p>
      {term && shown.size === 0 ? (
        <p className={MUTED_CLASS}>No chain names or holds “{term}”. Search a whole address (10.200.1.201), a port (9000) or part of a chain name.</p>
      ) : (
        <ChainList chains={chains} shown={shown} open={term ? true : chains.length <= EXPAND_UP_TO} rulePattern={rulePattern} namePattern={namePattern} hrefFor={hrefFor} />
      )}
    </div>
  );
}
