/** Use case: revoke an ingest token. The row stays (audit trail); it authenticates nothing from now on. */
import type { Db } from "../db";
import type { IngestTokenSummary } from "./list-ingest-tokens";

export type RevokeResult =
  | { ok: true; token: IngestTokenSummary; alreadyRevoked: boolean }
  | { ok: false; reason: "not-found" };

/** Revokes token `id`. Revoking a revoked token changes nothing and says so. */
export async function revokeIngestToken(db: Db, id: number, now: Date = new Date()): Promise<RevokeResult> {
  const row = await db.ingestToken.findUnique({ where: { id }, include: { cluster: { select: { name: true } } } });
  if (!row) return { ok: false, reason: "not-found" };
  const alreadyRevoked = row.revokedAt !== null;
  const revokedAt = row.revokedAt ?? (await db.ingestToken.update({ where: { id }, data: { revokedAt: now } })).revokedAt;
  return {
    ok: true,
    alreadyRevoked,
    token: { id: row.id, cluster: row.cluster.name, label: row.label, createdAt: row.createdAt, revokedAt },
  };
}
