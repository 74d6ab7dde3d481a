/**
 * Server configuration, parsed once from the environment with zod. This is the only module that reads process.env:
 * everything else receives plain values from here, so a misconfiguration fails at start with every problem listed.
 */
import path from "node:path";
import { z } from "zod";

/** Database family, told apart by the scheme of DATABASE_URL. */
export type DatabaseProvider = "sqlite" | "postgresql";

/** The parsed configuration. */
export interface Env {
  /** `file:/absolute/path.db` for SQLite (relative paths resolved against the working directory) or `postgresql://…`. */
  databaseUrl: string;
  databaseProvider: DatabaseProvider;
  /** History older than this many days is deleted. */
  retentionDays: number;
  /** Largest request body ingest accepts, in bytes (a 10k-service nat dump is ~25 MB). */
  maxBodyBytes: number;
}

/** Default database: an SQLite file under the checkout, so a fresh clone runs with zero setup. */
export const DEFAULT_DATABASE_URL = "file:./data/natwatch.db";

/** PostgreSQL server that tests and migration authoring create throwaway databases on (never used by the app). */
export const DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** Which provider a database URL is for, or null when the scheme is neither SQLite's nor PostgreSQL's. */
export function databaseProviderOf(url: string): DatabaseProvider | null {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgresql://") || url.startsWith("postgres://")) return "postgresql";
  return null;
}

/**
 * Makes a `file:` URL absolute against `cwd`; other URLs are returned unchanged. Prisma resolves a relative SQLite
 * path against the schema file's folder while better-sqlite3 resolves it against the process's, so both are handed
 * an absolute path and agree on the file.
 */
export function resolveDatabaseUrl(url: string, cwd: string): string {
  if (databaseProviderOf(url) !== "sqlite") return url;
  return `file:${path.resolve(cwd, url.slice("file:".length))}`;
}

/** The file path of an SQLite URL (`file:/a/b.db` → `/a/b.db`). */
export function sqliteFilePath(url: string): string {
  return url.slice("file:".length);
}

const integerFromText = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "expected a positive whole number")
    .transform(Number)
    .pipe(z.number().int().positive())
    .default(fallback);

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .default(DEFAULT_DATABASE_URL)
    .refine((url) => databaseProviderOf(url) !== null, "expected file:PATH (SQLite) or postgresql://… (PostgreSQL)")
    .refine(
      (url) => databaseProviderOf(url) !== "sqlite" || !url.includes("?"),
      "an SQLite URL takes no parameters: the file name is all of it",
    ),
  NATWATCH_RETENTION_DAYS: integerFromText(30),
  NATWATCH_MAX_BODY_BYTES: integerFromText(32 * 1024 * 1024),
});

/** Parses an environment (pure; `getEnv` applies it to process.env). Throws an Error naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>, cwd: string): Env {
  // An exported-but-empty variable (`DATABASE_URL=`) means "unset" to a shell user; zod's default applies to undefined only.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new Error(`Invalid natwatch configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const databaseUrl = resolveDatabaseUrl(parsed.data.DATABASE_URL, cwd);
  return {
    databaseUrl,
    // The refine above guarantees a provider.
    databaseProvider: databaseProviderOf(databaseUrl) as DatabaseProvider,
    retentionDays: parsed.data.NATWATCH_RETENTION_DAYS,
    maxBodyBytes: parsed.data.NATWATCH_MAX_BODY_BYTES,
  };
}

let cached: Env | undefined;

/** The configuration of this process, parsed on first call. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env, process.cwd());
  return cached;
}

/** `NATWATCH_TEST_POSTGRES_URL`, or the local trust-auth server: where tests and `db:migrate:new` make scratch databases. */
export function getTestPostgresUrl(): string {
  const url = process.env.NATWATCH_TEST_POSTGRES_URL?.trim();
  return url ? url : DEFAULT_TEST_POSTGRES_URL;
}

/** A database URL fit for messages and logs: the SQLite file path, or the PostgreSQL URL without its password. */
export function describeDatabaseUrl(url: string): string {
  if (databaseProviderOf(url) === "sqlite") return sqliteFilePath(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable database URL)";
  }
}
