/**
 * Bearer-token authentication of collector uploads: who is calling (a token of some cluster) and whether it may
 * write for the cluster its body names. Answers are ApiErrors ready for the route: 401 for no, wrong or revoked
 * tokens (the same for all three causes would hide nothing from the token's holder, so each says what is wrong),
 * 403 for a valid token of another cluster.
 */
import { apiError, type ApiError } from "../http/api-error";
import type { Db } from "../db";
import { hashIngestToken } from "../tokens/ingest-token-secret";

/** The cluster a valid token belongs to. */
export interface IngestPrincipal {
  tokenId: number;
  clusterId: number;
  cluster: string;
}

export type AuthenticationResult = { ok: true; principal: IngestPrincipal } | { ok: false; error: ApiError };

/** The token of an `Authorization: Bearer …` header, or null when the header is absent or of another scheme. */
export function bearerToken(authorization: string | null): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
  return match ? (match[1] as string) : null;
}

/** Looks the token up by its hash. */
export async function authenticateIngest(db: Db, authorization: string | null): Promise<AuthenticationResult> {
  const token = bearerToken(authorization);
  if (token === null) {
    return { ok: false, error: apiError(401, "missing bearer token", { header: "Authorization: Bearer <token>" }) };
  }
  const row = await db.ingestToken.findUnique({
    where: { tokenHash: hashIngestToken(token) },
    include: { cluster: { select: { name: true } } },
  });
  if (!row) return { ok: false, error: apiError(401, "unknown ingest token") };
  if (row.revokedAt) {
    return { ok: false, error: apiError(401, "ingest token revoked", { tokenId: row.id, revokedAt: row.revokedAt.toISOString() }) };
  }
  return { ok: true, principal: { tokenId: row.id, clusterId: row.clusterId, cluster: row.cluster.name } };
}

/** 403 unless the principal's cluster is the one the upload is for. */
export function authorizeCluster(principal: IngestPrincipal, cluster: string): ApiError | null {
  if (principal.cluster === cluster) return null;
  return apiError(403, `this token may not write for cluster ${cluster}`, { field: "cluster", tokenCluster: principal.cluster });
}
