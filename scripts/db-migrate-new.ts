/**
 * `npm run db:migrate:new -- NAME`: writes a migration named NAME for both providers, from the difference between
 * their checked-in migrations and prisma/models.prisma.
 *
 * It uses `prisma migrate diff --from-migrations … --to-schema-datamodel … --script` rather than `migrate dev`:
 * the diff replays the migrations in a scratch database (SQLite in memory, PostgreSQL a throwaway database on the
 * test server) and never touches a real one. Both providers get the same folder name, so "is this database
 * migrated" has one answer for either.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getTestPostgresUrl, type DatabaseProvider } from "../lib/server/env";
import { DATABASE_PROVIDERS, listMigrations, migrationsDir, schemaFile } from "../lib/server/migrate-check";
import { isMain, repoRoot, runPrismaOrThrow } from "./db-cli";
import { syncProviderSchemas } from "./db-schema";

/** What `prisma migrate diff` writes when there is nothing to do. */
const EMPTY_MIGRATION = /^\s*-- This is an empty migration\.\s*$/;

/** `20250102030405` for a UTC date, the prefix Prisma gives migration folders. */
export function migrationTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** Turns a free-form name into a folder-name suffix: `Add flow index` → `add_flow_index`. */
export function migrationSlug(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!slug) throw new Error(`migration name "${name}" has no letters or digits`);
  return slug;
}

/** Database URL the diff runs against: it only needs a server to make the scratch database on. */
function scratchUrl(provider: DatabaseProvider): string {
  return provider === "sqlite" ? `file:${path.join(os.tmpdir(), `natwatch-migrate-diff-${process.pid}.db`)}` : getTestPostgresUrl();
}

/** SQL that takes one provider's migrations to the current models (empty string when there is nothing to do). */
export async function diffProvider(provider: DatabaseProvider, root: string): Promise<string> {
  const existing = await listMigrations(provider, root);
  const from = existing.length === 0 ? ["--from-empty"] : ["--from-migrations", migrationsDir(provider, root)];
  const output = path.join(os.tmpdir(), `natwatch-migration-${provider}-${process.pid}.sql`);
  try {
    // --output, not stdout: the CLI prints its own notices to stdout too.
    await runPrismaOrThrow(
      ["migrate", "diff", ...from, "--to-schema-datamodel", schemaFile(provider, root), "--script", "--output", output],
      { databaseUrl: scratchUrl(provider), root },
    );
    const sql = await readFile(output, "utf8");
    return EMPTY_MIGRATION.test(sql) ? "" : sql;
  } finally {
    await rm(output, { force: true });
    // The CLI opens the SQLite scratch file even though the diff runs in memory.
    if (provider === "sqlite") await rm(scratchUrl(provider).slice("file:".length), { force: true });
  }
}

/** Writes the migration folder for every provider whose schema changed; returns the folders written. */
export async function createMigration(name: string, root: string, at: Date = new Date()): Promise<string[]> {
  await syncProviderSchemas(root, true);
  const folder = `${migrationTimestamp(at)}_${migrationSlug(name)}`;
  const written: string[] = [];
  for (const provider of DATABASE_PROVIDERS) {
    const sql = await diffProvider(provider, root);
    if (!sql) continue;
    const dir = migrationsDir(provider, root);
    await mkdir(path.join(dir, folder), { recursive: true });
    await writeFile(path.join(dir, folder, "migration.sql"), sql);
    // migrate dev and migrate resolve refuse a folder whose lock names another provider.
    const lock = `# Written by scripts/db-migrate-new.ts; names the provider these migrations are for.\nprovider = "${provider}"\n`;
    await writeFile(path.join(dir, "migration_lock.toml"), lock);
    written.push(path.relative(root, path.join(dir, folder)));
  }
  return written;
}

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
  if (!name) {
    console.error("usage: npm run db:migrate:new -- NAME");
    process.exitCode = 2;
    return;
  }
  const written = await createMigration(name, repoRoot);
  if (written.length === 0) console.log("No schema changes: no migration written.");
  for (const folder of written) console.log(`wrote ${folder}/migration.sql`);
}

if (isMain(import.meta.url)) await main();
