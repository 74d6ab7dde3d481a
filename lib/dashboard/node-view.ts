/**
 * What every view of one node starts from: the node named by the path, the URL's view parameters, the cluster they
 * name (or the only one), and the context the view's links carry. An unknown cluster is the framework's not-found.
 */
import { notFound } from "next/navigation";
import { getDb } from "@/lib/server/db";
import { resolveClusterName } from "@/lib/server/queries/resolve-cluster-name";
import { contextQuery, readViewParams, type SearchParams } from "./view-params";

export async function openNodeView(nodeParam: string, query: SearchParams) {
  const view = readViewParams(query);
  const db = await getDb();
  const cluster = await resolveClusterName(db, view.cluster);
  if (!cluster) notFound();
  return { nodeName: decodeURIComponent(nodeParam), view, db, cluster, context: contextQuery({ ...view, cluster }) };
}
