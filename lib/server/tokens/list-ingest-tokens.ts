/** Use case: the ingest tokens of one or every cluster, without their secrets (which are not stored). */
import type { Db } from "../db";

/** What is known of a token after its creation. */
export interface IngestTokenSummary {
  id: number;
  cluster: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Tokens by cluster name, then id. */
export async function listIngestTokens(db: Db, filter: { cluster?: string } = {}): Promise<IngestTokenSummary[]> {
  const rows = await db.ingestToken.findMany({
    where: filter.cluster === undefined ? {} : { cluster: { name: filter.cluster } },
    include: { cluster: { select: { name: true } } },
    orderBy: [{ cluster: { name: "asc" } }, { id: "asc" }],
  });
  return rows.map((row) => ({
    id: row.id,
    cluster: row.cluster.name,
    label: row.label,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  }));
}
