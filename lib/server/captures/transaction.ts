/** The client type inside an interactive transaction, and the refusal that rolls one back. */
import type { Prisma } from "../../../prisma/generated/sqlite/client";
import type { ApiError } from "../http/api-error";

/** What a use case receives inside `db.$transaction(async (tx) => …)`; a `Db` fits it too. */
export type Tx = Prisma.TransactionClient;

/**
 * Thrown inside an ingest transaction to refuse the request: the transaction rolls back (nothing of the request is
 * stored) and the use case returns the error as a value.
 */
export class IngestRefusal extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.error);
  }
}

/** Rows per insert: far below SQLite's 32,766 and PostgreSQL's 65,535 bind parameters for any of our tables. */
export const INSERT_CHUNK = 2_000;

/** Values per `IN (…)` list, for the same reason. */
export const LOOKUP_CHUNK = 5_000;

/** `items` in slices of `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Which database a client talks to. Prisma clients carry their provider; the two differ in how writers are
 * serialized (advisory locks on PostgreSQL, the single write lock on SQLite) and in `skipDuplicates`.
 */
export function providerOfClient(db: object): "sqlite" | "postgresql" {
  return (db as { _activeProvider?: string })._activeProvider === "postgresql" ? "postgresql" : "sqlite";
}

/**
 * Serializes writers of one key for the rest of the transaction. PostgreSQL: a transaction-scoped advisory lock on
 * (namespace, hashtext(key)). SQLite: nothing to do — a write transaction holds the database's only write lock, and
 * the driver adapter runs one transaction at a time per client.
 */
export async function lockForTransaction(tx: Tx, provider: "sqlite" | "postgresql", namespace: number, key: string): Promise<void> {
  if (provider !== "postgresql") return;
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${namespace}::int, hashtext(${key}))::text AS locked`;
}

/** Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)). */
export const LOCK_NODE = 0x6e77_0001;
export const LOCK_RULESET = 0x6e77_0002;
export const LOCK_KUBE_EVENTS = 0x6e77_0003;
