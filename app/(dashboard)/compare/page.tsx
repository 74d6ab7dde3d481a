import Link from "next/link";
import { redirect } from "next/navigation";
import { ChainDiff } from "@/components/compare/chain-diff";
import { CompareForm, type CompareSideInput } from "@/components/compare/compare-form";
import { ServiceDiff } from "@/components/compare/service-diff";
import { LINK_CLASS, MUTED_CLASS } from "@/components/node/styles";
import { contextQuery, param, readViewParams, viewHref, type SearchParams } from "@/lib/dashboard/view-params";
import { getDb } from "@/lib/server/db";
import { diffSnapshots, type DiffSide } from "@/lib/server/queries/diff-snapshots";
import { getNodeAgreement } from "@/lib/server/queries/get-node-agreement";
import { isNotFound } from "@/lib/server/queries/not-found";
import { resolveClusterName } from "@/lib/server/queries/resolve-cluster-name";
import { parseSnapshotRef } from "@/lib/server/queries/snapshot-ref";

export const dynamic = "force-dynamic";

/** `node@time` from the pickers' fields; `now` (or nothing) is the node alone. */
function refFromFields(node: string | undefined, at: string | undefined): string | undefined {
  if (!node) return undefined;
  const time = at?.trim();
  return time && time !== "now" ? `${node}@${time}` : node;
}

/** What the pickers show for a written reference (a snapshot id shows as its node at its last capture). */
function sideInput(text: string, resolved: DiffSide | null): CompareSideInput {
  if (resolved && /^\d+$/.test(text.trim())) return { node: resolved.node, at: resolved.lastSeen.toISOString() };
  const at = text.indexOf("@");
  return at === -1 ? { node: text, at: "now" } : { node: text.slice(0, at), at: text.slice(at + 1) };
}

export default async function ComparePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = await searchParams;
  const view = readViewParams(query);
  const db = await getDb();
  const cluster = await resolveClusterName(db, view.cluster);
  if (!cluster) {
    return <p className={MUTED_CLASS}>No cluster has reported yet: there is nothing to compare.</p>;
  }
  const context = contextQuery({ ...view, cluster });

  // The pickers submit aNode/aAt/bNode/bAt; the canonical URL is ?a=node@time&b=node@time.
  const fromFields = { a: refFromFields(param(query, "aNode"), param(query, "aAt")), b: refFromFields(param(query, "bNode"), param(query, "bAt")) };
  if (fromFields.a || fromFields.b) {
    redirect(viewHref("/compare", { ...context, a: fromFields.a ?? param(query, "a"), b: fromFields.b ?? param(query, "b") }));
  }

  const agreement = await getNodeAgreement(db, cluster);
  if (isNotFound(agreement)) {
    return <p role="alert" className="text-red-800 dark:text-red-300">{agreement.message}</p>;
  }
  const nodes = agreement.nodes.map((n) => n.node);
  // Without a choice, start from the question the overview asks: the first node that differs against its peer.
  const suggested = agreement.nodes.find((n) => !n.agrees && n.comparePeer) ?? agreement.nodes.find((n) => n.comparePeer);
  const aText = param(query, "a") ?? suggested?.node ?? nodes[0] ?? "";
  const bText = param(query, "b") ?? suggested?.comparePeer ?? nodes[1] ?? aText;

  const now = view.range.to;
  const aRef = parseSnapshotRef(aText, now);
  const bRef = parseSnapshotRef(bText, now);
  const problems: string[] = [];
  if (!aRef) problems.push(`A: "${aText}" names no snapshot (write node, node@time or a snapshot id)`);
  if (!bRef) problems.push(`B: "${bText}" names no snapshot (write node, node@time or a snapshot id)`);
  const diff = aRef && bRef ? await diffSnapshots(db, cluster, aRef, bRef) : null;
  if (diff && isNotFound(diff)) problems.push(diff.message);
  const result = diff && !isNotFound(diff) ? diff : null;

  const snapshotHref = (side: DiffSide) => viewHref(`/nodes/${encodeURIComponent(side.node)}/snapshots/${side.snapshotId}`, context);
  const swapHref = viewHref("/compare", { ...context, a: bText, b: aText });

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-xl font-semibold">Compare</h1>
        <p className={MUTED_CLASS}>Any two (node, time) points: what B programs differently from A, first per service, then rule by rule.</p>
      </div>
      {/* Keyed by the sides: client navigation (swap, back) must show the new choice, not keep the old uncontrolled fields. */}
      <CompareForm key={`${aText}|${bText}`} nodes={nodes} a={sideInput(aText, result?.from ?? null)} b={sideInput(bText, result?.to ?? null)} context={context} />

      {problems.length > 0 && (
        <div role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}

      {result && (
        <>
          <dl className="grid gap-3 text-sm sm:grid-cols-2" aria-label="Compared snapshots">
            {([["A", result.from], ["B", result.to]] as const).map(([label, side]) => (
              <div key={label} className="rounded border border-zinc-200 p-3 dark:border-zinc-800">
                <dt className="font-semibold">{label}</dt>
                <dd>
                  <Link href={viewHref(`/nodes/${encodeURIComponent(side.node)}`, context)} className={`font-mono ${LINK_CLASS}`}>{side.node}</Link>, {" "}
                  <Link href={snapshotHref(side)} className={LINK_CLASS}>snapshot #{side.snapshotId}</Link>
                  <span className={`block ${MUTED_CLASS}`}>
                    rules held from {side.firstSeen.toISOString().replace("T", " ").slice(0, 19)} to {side.lastSeen.toISOString().replace("T", " ").slice(0, 19)} UTC
                  </span>
                </dd>
              </div>
            ))}
          </dl>
          <p className="text-sm">
            <Link href={swapHref} className={LINK_CLASS}>swap A and B</Link>
          </p>
          {result.identical ? (
            <p role="status" className="rounded border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
              Identical: both sides hold the very same ruleset ({result.chains.unchanged} chains).
            </p>
          ) : (
            <>
              <section aria-labelledby="services-title" className="space-y-3">
                <h2 id="services-title" className="text-base font-semibold">Service differences</h2>
                <ServiceDiff services={result.services} serviceHref={(segment) => viewHref(`/services/${segment}`, context)} />
              </section>
              <section aria-labelledby="chains-title" className="space-y-3">
                <h2 id="chains-title" className="text-base font-semibold">Chain differences</h2>
                <ChainDiff chains={result.chains} beforeHref={snapshotHref(result.from)} afterHref={snapshotHref(result.to)} />
              </section>
            </>
          )}
        </>
      )}
    </div>
  );
}
