/** Use case: issue an ingest token for a cluster (creating the cluster on first use). */
import type { Db } from "../db";
import { generateIngestToken, hashIngestToken } from "./ingest-token-secret";

/** A token as it is shown once, at creation. */
export interface CreatedIngestToken {
  id: number;
  cluster: string;
  label: string;
  /** The secret. It is not stored and cannot be shown again. */
  token: string;
  createdAt: Date;
}

/** Creates a token for `cluster`; the cluster row is created when it does not exist yet. */
export async function createIngestToken(db: Db, input: { cluster: string; label?: string }): Promise<CreatedIngestToken> {
  const token = generateIngestToken();
  const cluster = await db.cluster.upsert({ where: { name: input.cluster }, update: {}, create: { name: input.cluster } });
  const row = await db.ingestToken.create({
    data: { clusterId: cluster.id, tokenHash: hashIngestToken(token), label: input.label ?? "" },
  });
  return { id: row.id, cluster: cluster.name, label: row.label, token, createdAt: row.createdAt };
}
