/**
 * `npm run db:generate`: refreshes both providers' schema copies from prisma/models.prisma, then generates both
 * clients (prisma/generated/sqlite and prisma/generated/postgres, git-ignored). Run after `npm ci`: the app and the
 * type check import the generated clients.
 */
import os from "node:os";
import path from "node:path";
import type { DatabaseProvider } from "../lib/server/env";
import { DATABASE_PROVIDERS } from "../lib/server/migrate-check";
import { isMain, repoRoot, runPrismaOrThrow } from "./db-cli";
import { syncProviderSchemas } from "./db-schema";

/**
 * A URL that only tells prisma.config.ts which provider's schema to load: generating connects to nothing.
 */
function providerPlaceholderUrl(provider: DatabaseProvider): string {
  return provider === "sqlite"
    ? `file:${path.join(os.tmpdir(), "natwatch-generate.db")}`
    : "postgresql://natwatch@localhost:5432/natwatch";
}

/** Generates both clients from the current models. */
export async function generateClients(root: string, echo = false): Promise<void> {
  await syncProviderSchemas(root, true);
  for (const provider of DATABASE_PROVIDERS) {
    await runPrismaOrThrow(["generate"], { databaseUrl: providerPlaceholderUrl(provider), root, echo });
  }
}

if (isMain(import.meta.url)) await generateClients(repoRoot, true);
