/**
 * Fresh, migrated databases for integration tests, on both providers, so a suite can run
 * `describe.each(providers)` and prove the same code works on SQLite and PostgreSQL.
 *
 * SQLite: a file in the OS temp folder. PostgreSQL: a uniquely named database on the test server
 * (NATWATCH_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards.
 *
 * Migrating costs a Prisma CLI run (~2 s), so each provider's migrations are applied once per migration set into a
 * template (a file, or a PostgreSQL template database, named after a hash of the migrations) and every test
 * database is a copy of it: identical to a `prisma migrate deploy` from empty, `_prisma_migrations` included.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, readFile, readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db } from "../../../lib/server/db";
import { getTestPostgresUrl, type DatabaseProvider } from "../../../lib/server/env";
import { DATABASE_PROVIDERS, listMigrations, migrationsDir } from "../../../lib/server/migrate-check";
import { repoRoot } from "../../../scripts/db-cli";
import { migrateDatabase } from "../../../scripts/db-migrate";

/** Both providers, for `describe.each(providers)`. */
export const providers: readonly DatabaseProvider[] = DATABASE_PROVIDERS;

/** The PostgreSQL server tests create their databases on. */
export function testPostgresUrl(): string {
  return getTestPostgresUrl();
}

/** A scratch database: its URL and how to remove it. */
export interface ScratchDatabase {
  provider: DatabaseProvider;
  url: string;
  drop(): Promise<void>;
}

/** A migrated scratch database with an open client. `drop()` closes the client first. */
export interface TestDatabase extends ScratchDatabase {
  db: Db;
}

/** `natwatch_test_<pid>_<random>`: unique across parallel test workers and runs. */
function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString("hex")}`;
}

/** Runs `work` with a connection to the test server's maintenance database. */
async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function postgresUrlFor(database: string): string {
  const url = new URL(testPostgresUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function dropPostgresDatabase(database: string): Promise<void> {
  // FORCE (PostgreSQL 13+) ends connections a failed test may have left open.
  await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

async function removeSqliteFiles(file: string): Promise<void> {
  await Promise.all(["", "-wal", "-shm", "-journal"].map((suffix) => rm(file + suffix, { force: true })));
}

/** An empty database (no tables at all) for tests of migrating itself. */
export async function createEmptyDatabase(provider: DatabaseProvider): Promise<ScratchDatabase> {
  if (provider === "sqlite") {
    const file = path.join(os.tmpdir(), `${uniqueName("natwatch_test")}.db`);
    return { provider, url: `file:${file}`, drop: () => removeSqliteFiles(file) };
  }
  const database = uniqueName("natwatch_test");
  await withAdminClient((client) => client.query(`CREATE DATABASE "${database}"`));
  return { provider, url: postgresUrlFor(database), drop: () => dropPostgresDatabase(database) };
}

/** Short hash of the provider's migrations (names and contents): a new or edited migration means a new template. */
async function migrationsKey(provider: DatabaseProvider): Promise<string> {
  const hash = createHash("sha256");
  for (const name of await listMigrations(provider, repoRoot)) {
    hash.update(name).update("\0");
    hash.update(await readFile(path.join(migrationsDir(provider, repoRoot), name, "migration.sql"))).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** The migrated SQLite template file, made on first need. */
async function sqliteTemplate(): Promise<string> {
  const key = await migrationsKey("sqlite");
  const template = path.join(os.tmpdir(), `natwatch_template_${key}.db`);
  if (await readFile(template).then(() => true, () => false)) return template;
  const scratch = await createEmptyDatabase("sqlite");
  await migrateDatabase(scratch.url);
  // rename() is atomic: a parallel worker either sees no template or a complete one.
  await rename(scratch.url.slice("file:".length), template);
  await removeStaleSqliteTemplates(template);
  return template;
}

async function removeStaleSqliteTemplates(current: string): Promise<void> {
  const dir = path.dirname(current);
  for (const name of await readdir(dir)) {
    if (name.startsWith("natwatch_template_") && path.join(dir, name) !== current) await rm(path.join(dir, name), { force: true });
  }
}

/** The migrated PostgreSQL template database, made on first need. */
async function postgresTemplate(): Promise<string> {
  const template = `natwatch_template_${await migrationsKey("postgresql")}`;
  const exists = await withAdminClient(async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
    return found.rowCount === 1;
  });
  if (exists) return template;
  const scratch = uniqueName("natwatch_building");
  await withAdminClient((client) => client.query(`CREATE DATABASE "${scratch}"`));
  await migrateDatabase(postgresUrlFor(scratch));
  await withAdminClient(async (client) => {
    try {
      // Renaming is atomic; a parallel worker that built the same template first wins and this copy goes.
      await client.query(`ALTER DATABASE "${scratch}" RENAME TO "${template}"`);
    } catch {
      await client.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
      return;
    }
    const stale = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'natwatch\\_template\\_%' AND datname <> $1",
      [template],
    );
    for (const row of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  });
  return template;
}

/** A fresh database with every checked-in migration applied, and a client on it. */
export async function createTestDatabase(provider: DatabaseProvider): Promise<TestDatabase> {
  let scratch: ScratchDatabase;
  if (provider === "sqlite") {
    const template = await sqliteTemplate();
    scratch = await createEmptyDatabase("sqlite");
    await copyFile(template, scratch.url.slice("file:".length));
  } else {
    const template = await postgresTemplate();
    const database = uniqueName("natwatch_test");
    await withAdminClient((client) => client.query(`CREATE DATABASE "${database}" TEMPLATE "${template}"`));
    scratch = { provider, url: postgresUrlFor(database), drop: () => dropPostgresDatabase(database) };
  }
  const db = createDb(scratch.url, { maxConnections: 4 });
  return {
    ...scratch,
    db,
    drop: async () => {
      await db.$disconnect();
      await scratch.drop();
    },
  };
}

/**
 * Gives the enclosing `describe` a fresh migrated database of `provider`: created before its tests, dropped after.
 * Call the returned function inside tests to reach it.
 */
export function useTestDatabase(provider: DatabaseProvider): () => TestDatabase {
  let database: TestDatabase | undefined;
  // The first file to need a template builds it with the Prisma CLI, which is slow on a loaded machine.
  beforeAll(async () => {
    database = await createTestDatabase(provider);
  }, 240_000);
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error("useTestDatabase(): the database exists only inside the describe's tests");
    return database;
  };
}
