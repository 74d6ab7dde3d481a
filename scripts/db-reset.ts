/**
 * `npm run db:reset`: deletes every table and row of DATABASE_URL's database and applies the migrations again.
 * For PostgreSQL it asks for `-- --yes`: a production URL in the environment should not be one command from empty.
 */
import { rm } from "node:fs/promises";
import { describeDatabaseUrl, getEnv, sqliteFilePath } from "../lib/server/env";
import { isMain, repoRoot, runPrismaOrThrow } from "./db-cli";
import { migrateDatabase } from "./db-migrate";

/** Empties the database at `databaseUrl` and migrates it from scratch. */
export async function resetDatabase(databaseUrl: string, root: string = repoRoot, echo = false): Promise<void> {
  if (databaseUrl.startsWith("file:")) {
    // The WebAssembly schema engine cannot reset SQLite (its reset leaves the tables and the replay then fails);
    // an SQLite database is its file, so removing the file (and WAL leftovers) is the reset.
    const file = sqliteFilePath(databaseUrl);
    await Promise.all(["", "-wal", "-shm", "-journal"].map((suffix) => rm(file + suffix, { force: true })));
    await migrateDatabase(databaseUrl, root, echo);
    return;
  }
  await runPrismaOrThrow(["migrate", "reset", "--force", "--skip-generate", "--skip-seed"], { databaseUrl, root, echo });
}

async function main(): Promise<void> {
  const { databaseUrl, databaseProvider } = getEnv();
  const label = describeDatabaseUrl(databaseUrl);
  if (databaseProvider === "postgresql" && !process.argv.includes("--yes")) {
    console.error(`This would delete all data in ${label}. Run \`npm run db:reset -- --yes\` to confirm.`);
    process.exitCode = 2;
    return;
  }
  console.log(`Resetting ${label}`);
  await resetDatabase(databaseUrl, repoRoot, true);
  console.log("Database is empty and migrated.");
}

if (isMain(import.meta.url)) await main();
