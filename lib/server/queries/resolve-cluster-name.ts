/**
 * The cluster a dashboard view shows: the one the URL names, else the first by name (most installations watch one).
 * Null when no cluster exists yet, so the view can say how to get one.
 */
import type { Db } from "../db";

export async function resolveClusterName(db: Db, wanted: string | undefined): Promise<string | null> {
  if (wanted) return wanted;
  const first = await db.cluster.findFirst({ select: { name: true }, orderBy: { name: "asc" } });
  return first?.name ?? null;
}
