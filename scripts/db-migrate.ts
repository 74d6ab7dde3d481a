/**
 * `npm run db:migrate`: applies the checked-in migrations to DATABASE_URL (default: the SQLite file
 * ./data/natwatch.db), then runs the same check the app runs on first use. This is the command the app's
 * "not migrated" error names; it is safe to run again (already-applied migrations are skipped).
 */
import { openMigratedDb } from "../lib/server/db";
import { describeDatabaseUrl, getEnv } from "../lib/server/env";
import { isMain, repoRoot, runPrismaOrThrow } from "./db-cli";

/** `prisma migrate deploy` against `databaseUrl`; throws with the CLI's output when it fails. */
export async function migrateDatabase(databaseUrl: string, root: string = repoRoot, echo = false): Promise<void> {
  await runPrismaOrThrow(["migrate", "deploy"], { databaseUrl, root, echo });
}

async function main(): Promise<void> {
  const { databaseUrl } = getEnv();
  console.log(`Migrating ${describeDatabaseUrl(databaseUrl)}`);
  await migrateDatabase(databaseUrl, repoRoot, true);
  const db = await openMigratedDb(databaseUrl, repoRoot);
  await db.$disconnect();
  console.log("Database is migrated and ready.");
}

if (isMain(import.meta.url)) await main();
