/**
 * `npm run db:schema [-- --check]`: copies prisma/models.prisma into each provider's schema.prisma, below its
 * generator/datasource header. Prisma reads one schema file (or one folder) per command and cannot share models
 * across folders, so each provider keeps a full copy; `--check` exits 1 when a copy is stale.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DATABASE_PROVIDERS, schemaFile } from "../lib/server/migrate-check";
import type { DatabaseProvider } from "../lib/server/env";
import { isMain, repoRoot } from "./db-cli";

/** Line that separates a provider schema's own header from the copied models. */
export const MODELS_MARKER =
  "// ---- everything below is prisma/models.prisma, copied by `npm run db:schema`: edit that file, not this one ----";

/** A provider schema with its models part replaced by `models` (the header, up to the marker, is kept). */
export function renderProviderSchema(current: string, models: string): string {
  const markerAt = current.indexOf(MODELS_MARKER);
  const header = (markerAt === -1 ? current : current.slice(0, markerAt)).trimEnd();
  return `${header}\n\n${MODELS_MARKER}\n\n${models.trim()}\n`;
}

/** Whether one provider's schema.prisma holds the current models. */
export interface SchemaCopyState {
  provider: DatabaseProvider;
  file: string;
  /** True when the copy matched the models before this run. */
  inSync: boolean;
  /** True when this run rewrote the copy. */
  written: boolean;
}

/** Compares (and with `write`, refreshes) each provider's copy of the models. */
export async function syncProviderSchemas(root: string, write: boolean): Promise<SchemaCopyState[]> {
  const models = await readFile(path.join(root, "prisma", "models.prisma"), "utf8");
  const states: SchemaCopyState[] = [];
  for (const provider of DATABASE_PROVIDERS) {
    const file = schemaFile(provider, root);
    const current = await readFile(file, "utf8");
    const wanted = renderProviderSchema(current, models);
    const inSync = current === wanted;
    const written = !inSync && write;
    if (written) await writeFile(file, wanted);
    states.push({ provider, file, inSync, written });
  }
  return states;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const states = await syncProviderSchemas(repoRoot, !check);
  for (const state of states) {
    const where = path.relative(repoRoot, state.file);
    const verdict = state.inSync ? "in sync" : state.written ? "updated" : "STALE (run npm run db:schema)";
    console.log(`${where}: ${verdict}`);
  }
  if (states.some((state) => !state.inSync && !state.written)) process.exitCode = 1;
}

if (isMain(import.meta.url)) await main();
