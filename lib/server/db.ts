/**
 * The database client. One factory, two generated clients (one per provider: a Prisma client is compiled for one
 * provider), one `Db` type for the rest of the code.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "../../prisma/generated/postgres/client";
import { PrismaClient as SqliteClient } from "../../prisma/generated/sqlite/client";
import { databaseProviderOf, describeDatabaseUrl, getEnv, sqliteFilePath, type DatabaseProvider } from "./env";
import { assertMigrated } from "./migrate-check";

/**
 * A natwatch database client, whichever the provider. Typed as the SQLite client: both clients have the same models
 * and the same API except for what SQLite lacks (case-insensitive `mode`, …), so code written against this type runs
 * on both.
 */
export type Db = SqliteClient;

/** Options of `createDb`. */
export interface CreateDbOptions {
  /** PostgreSQL pool size (default 10). */
  maxConnections?: number;
}

/**
 * A new client for `databaseUrl` (an absolute `file:` URL or a PostgreSQL URL), without the migration check.
 * Scripts and tests use it directly; the app uses `getDb()`. Close it with `$disconnect()`.
 */
export function createDb(databaseUrl: string, options: CreateDbOptions = {}): Db {
  const provider = databaseProviderOf(databaseUrl);
  if (provider === "sqlite") {
    const file = sqliteFilePath(databaseUrl);
    // better-sqlite3 creates the file but not its folder (./data for the default database).
    mkdirSync(path.dirname(file), { recursive: true });
    // `timeout`: wait up to 5 s for another writer (a second process, a migration) instead of failing SQLITE_BUSY.
    return new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: file, timeout: 5_000 }) });
  }
  if (provider === "postgresql") {
    const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
    // Same models, same generated API: the PostgreSQL client does everything the SQLite type promises.
    return new PostgresClient({ adapter }) as unknown as Db;
  }
  throw new Error(`Unsupported database URL ${describeDatabaseUrl(databaseUrl)}: expected file:PATH or postgresql://…`);
}

/**
 * Per-connection settings. WAL lets the dashboard read while ingest writes (readers no longer block on the writer);
 * the mode is stored in the database file, so setting it again is a no-op. synchronous=NORMAL is the setting WAL is
 * meant to run with: a commit is durable once the WAL is synced at checkpoint, and the database cannot corrupt.
 */
async function configureConnection(db: Db, provider: DatabaseProvider): Promise<void> {
  if (provider !== "sqlite") return;
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
}

/**
 * Opens `databaseUrl`, applies the connection settings and verifies every checked-in migration is applied; throws
 * (naming `npm run db:migrate`) otherwise, closing the client first.
 */
export async function openMigratedDb(databaseUrl: string, root: string = process.cwd()): Promise<Db> {
  const provider = databaseProviderOf(databaseUrl);
  const db = createDb(databaseUrl);
  try {
    if (provider === null) throw new Error(`Unsupported database URL ${describeDatabaseUrl(databaseUrl)}`);
    await configureConnection(db, provider);
    await assertMigrated(db, provider, describeDatabaseUrl(databaseUrl), root);
    return db;
  } catch (error) {
    await db.$disconnect();
    throw error;
  }
}

// Kept on globalThis so that Next's dev server, which re-evaluates modules on every edit, reuses one client.
const holder = globalThis as typeof globalThis & { natwatchDb?: Promise<Db> };

/**
 * The process's client for DATABASE_URL, created and checked on first use. A failed check is not cached: once
 * `npm run db:migrate` has run, the next call succeeds without a restart.
 */
export function getDb(): Promise<Db> {
  if (!holder.natwatchDb) {
    const opening = openMigratedDb(getEnv().databaseUrl);
    holder.natwatchDb = opening;
    opening.catch(() => {
      if (holder.natwatchDb === opening) holder.natwatchDb = undefined;
    });
  }
  return holder.natwatchDb;
}
