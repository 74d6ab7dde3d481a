/**
 * Where each provider's schema and migrations live, and the check that a database has every checked-in migration
 * before the app uses it. A half-migrated database fails in confusing ways deep inside a query ("no such column");
 * this check fails first, with the command that fixes it.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { DatabaseProvider } from "./env";

/** Both providers, in the order scripts and tests go through them. */
export const DATABASE_PROVIDERS: readonly DatabaseProvider[] = ["sqlite", "postgresql"];

/** The command that applies the checked-in migrations to DATABASE_URL. */
export const MIGRATE_COMMAND = "npm run db:migrate";

/** `prisma/sqlite` or `prisma/postgres` under `root` (the checkout; the working directory by default). */
export function schemaDir(provider: DatabaseProvider, root: string = process.cwd()): string {
  return path.join(root, "prisma", provider === "sqlite" ? "sqlite" : "postgres");
}

/** The provider's schema.prisma. */
export function schemaFile(provider: DatabaseProvider, root: string = process.cwd()): string {
  return path.join(schemaDir(provider, root), "schema.prisma");
}

/** The provider's checked-in migrations folder. */
export function migrationsDir(provider: DatabaseProvider, root: string = process.cwd()): string {
  return path.join(schemaDir(provider, root), "migrations");
}

/** Names of the checked-in migrations (folders holding a migration.sql), oldest first. */
export async function listMigrations(provider: DatabaseProvider, root: string = process.cwd()): Promise<string[]> {
  const dir = migrationsDir(provider, root);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const script = await stat(path.join(dir, entry.name, "migration.sql")).catch(() => null);
    if (script?.isFile()) names.push(entry.name);
  }
  // Prisma names migrations `YYYYMMDDHHMMSS_name`, so name order is application order.
  return names.sort();
}

/** The one thing the check needs from a client; both generated PrismaClients have it. */
export interface RawQueryable {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** What the database has of the checked-in migrations. */
export interface MigrationState {
  /** Checked-in migrations the database has not finished applying, oldest first. */
  pending: string[];
  /** Migrations recorded as started but not finished (a failed `migrate deploy`); they need a human. */
  failed: string[];
}

/** Compares the checked-in migrations with the `_prisma_migrations` table Prisma keeps in the database. */
export async function readMigrationState(
  db: RawQueryable,
  provider: DatabaseProvider,
  root: string = process.cwd(),
): Promise<MigrationState> {
  const expected = await listMigrations(provider, root);
  // information_schema names are of type `name`, which the stock pg adapter cannot read: cast to text.
  const tableQuery =
    provider === "sqlite"
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'"
      : "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'";
  const tables = await db.$queryRawUnsafe<{ name: string }[]>(tableQuery);
  if (tables.length === 0) return { pending: expected, failed: [] };

  const rows = await db.$queryRawUnsafe<{ name: string; finished: number | bigint | boolean }[]>(
    `SELECT migration_name AS name, CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END AS finished
     FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
  );
  const finished = new Set(rows.filter((row) => Number(row.finished) === 1).map((row) => row.name));
  const failed = rows.filter((row) => Number(row.finished) !== 1).map((row) => row.name);
  return { pending: expected.filter((name) => !finished.has(name)), failed };
}

/**
 * Throws unless every checked-in migration is applied. The message names the database (password hidden) and the
 * command to run, because the person reading it is the one starting the app.
 */
export async function assertMigrated(
  db: RawQueryable,
  provider: DatabaseProvider,
  databaseLabel: string,
  root: string = process.cwd(),
): Promise<void> {
  const { pending, failed } = await readMigrationState(db, provider, root);
  if (failed.length > 0) {
    throw new Error(
      `Database ${databaseLabel} has a failed migration (${failed.join(", ")}). ` +
        `Fix it by hand (see \`npx prisma migrate resolve\`), then run \`${MIGRATE_COMMAND}\`.`,
    );
  }
  if (pending.length > 0) {
    throw new Error(
      `Database ${databaseLabel} is not migrated: ${pending.length} migration(s) missing (${pending.join(", ")}). ` +
        `Run \`${MIGRATE_COMMAND}\` with the same DATABASE_URL.`,
    );
  }
}
