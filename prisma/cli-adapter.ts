/**
 * Driver adapters for the Prisma CLI (migrate, db push, studio) run through the WebAssembly schema engine.
 *
 * Prisma 6.19.3's adapter path has bugs that only the schema engine's queries hit; each fix below lives here and
 * nowhere else — the app's runtime client (lib/server/db.ts) uses the stock adapters unchanged.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { databaseProviderOf, sqliteFilePath } from "../lib/server/env";

/** The adapter factory the CLI gets for `url` (an absolute `file:` URL or a PostgreSQL URL). */
export function cliAdapterFor(url: string): SqlMigrationAwareDriverAdapterFactory {
  return databaseProviderOf(url) === "sqlite" ? sqliteCliAdapter(url) : postgresCliAdapter(url);
}

// ---- PostgreSQL -------------------------------------------------------------------------------------------------

// Type OIDs of pg_catalog's `name` (identifiers: table_name, column_name, …) and `"char"` (relkind, contype, …)
// and of `text`. adapter-pg 6.x maps neither of the first two to a column type and fails every introspection query
// with "Column type 'name' could not be deserialized from the database" (prisma/prisma#27403). Their text form is
// plain text, so the CLI's pool reports them as text.
const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;

/** A query result as pg returns it; only the field type ids are rewritten. */
interface FieldsCarrier {
  fields?: { dataTypeID: number }[];
}

function reportCatalogTypesAsText<T>(result: T): T {
  const fields = (result as FieldsCarrier | undefined)?.fields;
  for (const field of fields ?? []) {
    if (field.dataTypeID === NAME_OID || field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  }
  return result;
}

/**
 * Makes a connection report catalog types as text (see above), for promise and callback calls alike: the adapter
 * awaits `query()` on pooled clients inside transactions, and the pool's own `query()` calls it with a callback.
 */
function reportCatalogTypesAsTextOn(client: pg.ClientBase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const callback = args.at(-1);
    if (typeof callback === "function") {
      args[args.length - 1] = (error: unknown, result: unknown) => callback(error, error ? result : reportCatalogTypesAsText(result));
      return query(...args);
    }
    const pending = query(...args);
    return pending instanceof Promise ? pending.then(reportCatalogTypesAsText) : pending;
  };
}

/** A pg pool whose every connection reports catalog types as text. */
function catalogFriendlyPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on("connect", reportCatalogTypesAsTextOn);
  return pool;
}

/**
 * Pool settings from the URL as a config object. Given a connection string, adapter-pg's shadow database would
 * inherit it and the string wins over the `database` override: the "shadow" would be the real database, which
 * `migrate dev` then drops. `allowExitOnIdle` lets the CLI exit as soon as it is done instead of idling ~10 s.
 */
export function poolConfigFromUrl(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get("sslmode");
  return {
    host: decodeURIComponent(parsed.hostname) || "localhost",
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || undefined,
    // libpq's sslmode: `require` encrypts without verifying the server; `verify-ca`/`verify-full` verify it.
    ssl: sslmode === "require" || sslmode?.startsWith("verify-") ? { rejectUnauthorized: sslmode !== "require" } : undefined,
    allowExitOnIdle: true,
    max: 4,
  };
}

/** Connects an adapter to a pool it owns (dispose ends the pool). */
function connectPool(config: pg.PoolConfig): Promise<SqlDriverAdapter> {
  return new PrismaPg(catalogFriendlyPool(config), { disposeExternalPool: true }).connect();
}

/**
 * Runs a migration script in one round trip. The stock adapter splits scripts on ";" (which breaks on a ";" inside
 * a string) and runs the pieces one by one, so a failing statement leaves the ones before it applied. A query without
 * parameters goes out as a simple query, which PostgreSQL runs as one implicit transaction: all or nothing.
 */
function withWholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    executeScript: async (script: string) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    },
  });
}

/**
 * Lets the CLI exit once its work is done. Before migrating, the schema engine takes PostgreSQL's advisory lock
 * under a 10 s timeout; the WebAssembly build implements that timeout with a JavaScript timer it never clears, so
 * every `migrate deploy` idled 10 s before exiting. Timers the engine starts are unref'd: they still fire if the
 * process is alive, but no longer hold it open. Only long timers from WebAssembly frames are touched — a watchdog,
 * never a pacing sleep that the engine's progress could depend on.
 */
export function unrefSchemaEngineWatchdogs(): void {
  const marker = Symbol.for("natwatch.unrefSchemaEngineWatchdogs");
  const globals = globalThis as typeof globalThis & { [marker]?: true };
  if (globals[marker]) return;
  globals[marker] = true;
  const original = globalThis.setTimeout;
  const patched = (...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args);
    const delay = Number(args[1] ?? 0);
    if (delay >= 5_000 && new Error().stack?.includes("wasm://")) timer.unref();
    return timer;
  };
  globalThis.setTimeout = Object.assign(patched, original) as typeof setTimeout;
}

function postgresCliAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const config = poolConfigFromUrl(url);
  return {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    connect: async () => withWholeScripts(await connectPool(config)),
    connectToShadowDb: async () => {
      const admin = catalogFriendlyPool(config);
      const database = `prisma_migrate_shadow_db_${randomUUID().replaceAll("-", "")}`;
      await admin.query(`CREATE DATABASE "${database}"`);
      const shadow = withWholeScripts(await connectPool({ ...config, database }));
      // The stock adapter drops the shadow database while its own pool still holds connections ("database … is
      // being accessed by other users"); close the shadow pool first, then drop.
      return Object.assign(Object.create(shadow) as SqlDriverAdapter, {
        dispose: async () => {
          await shadow.dispose();
          await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
          await admin.end();
        },
      });
    },
  };
}

// ---- SQLite -----------------------------------------------------------------------------------------------------

/** better-sqlite3's refusal of a prepared statement holding several statements. */
const SEVERAL_STATEMENTS = /more than one statement/i;

/**
 * Replays multi-statement migration scripts as scripts. When the schema engine rebuilds migrations in a shadow
 * database it sends each migration.sql through a one-statement call, which better-sqlite3 refuses (P3006 on any
 * migration with more than one statement); such a call carries no parameters, so running it with exec() is the
 * same thing done right.
 */
function withScriptReplay(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const replay = async <T>(sql: string, args: unknown[], run: () => Promise<T>, empty: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (args.length > 0 || !SEVERAL_STATEMENTS.test(String((error as Error)?.message ?? error))) throw error;
      await adapter.executeScript(sql);
      return empty;
    }
  };
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    queryRaw: (query: Parameters<SqlDriverAdapter["queryRaw"]>[0]) =>
      replay(query.sql, query.args, () => adapter.queryRaw(query), { columnNames: [], columnTypes: [], rows: [] }),
    executeRaw: (query: Parameters<SqlDriverAdapter["executeRaw"]>[0]) =>
      replay(query.sql, query.args, () => adapter.executeRaw(query), 0),
  });
}

function sqliteCliAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const file = sqliteFilePath(url);
  // better-sqlite3 creates the file but not its folder (the default database lives in ./data, which git ignores).
  mkdirSync(path.dirname(file), { recursive: true });
  const stock = new PrismaBetterSQLite3({ url: file });
  return {
    provider: "sqlite",
    adapterName: "@prisma/adapter-better-sqlite3",
    connect: async () => withScriptReplay(await stock.connect()),
    connectToShadowDb: async () => withScriptReplay(await stock.connectToShadowDb()),
  };
}
