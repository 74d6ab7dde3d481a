/**
 * Prisma CLI configuration. One file for both databases: DATABASE_URL (parsed by lib/server/env.ts, default
 * `file:./data/natwatch.db`) picks the provider's schema, its migrations folder and the driver adapter, so every
 * `prisma …` command reads the same for SQLite and PostgreSQL.
 *
 * Prisma 7's CLI needs a native schema engine downloaded from outside the npm registry; 6.19.3 runs the bundled
 * WebAssembly engine instead (`engine: "js"`), through a driver adapter (prisma/cli-adapter.ts).
 */
import { defineConfig } from "prisma/config";
import { getEnv } from "./lib/server/env";
import { migrationsDir, schemaFile } from "./lib/server/migrate-check";
import { cliAdapterFor, unrefSchemaEngineWatchdogs } from "./prisma/cli-adapter";

const { databaseUrl, databaseProvider } = getEnv();

// The schema's `url = env("DATABASE_URL")` is unused with an adapter but must resolve, and to the same absolute
// file the adapter opens when DATABASE_URL was unset or relative.
process.env.DATABASE_URL = databaseUrl;

if (databaseProvider === "postgresql") unrefSchemaEngineWatchdogs();

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: schemaFile(databaseProvider),
  migrations: { path: migrationsDir(databaseProvider) },
  adapter: async () => cliAdapterFor(databaseUrl),
});
