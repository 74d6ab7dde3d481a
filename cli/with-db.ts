import type { Db } from "../lib/server/db";
import { CliFailure } from "./io";

/**
 * Runs `work` with the database of DATABASE_URL and closes it afterwards. An unreachable or unmigrated database
 * ends the command with the reason (which names `npm run db:migrate` when migrations are missing), exit status 1.
 */
export async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  let db: Db;
  try {
    // Loaded on use: the database client is generated at install time, and the collector images (which run the
    // agent and inventory commands of this same CLI) have none.
    const { getDb } = await import("../lib/server/db");
    db = await getDb();
  } catch (error) {
    throw new CliFailure((error as Error).message, 1);
  }
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}
