/**
 * A natwatch app for a lab run when none is given: a fresh SQLite database (migrated), an ingest token made
 * directly through lib/server/tokens, and `next start` on a free loopback port — after `next build` when the
 * checkout has no build yet or `build` asks for a fresh one (an existing build may predate the checkout's code).
 * `dev: true` runs `next dev` instead (no build; routes compile on first request; one dev server per checkout).
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDb } from "../lib/server/db";
import { createIngestToken } from "../lib/server/tokens/create-ingest-token";
import { migrateDatabase } from "../scripts/db-migrate";
import type { ProcessTracker } from "./cluster/lab-processes";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(repoRoot, "node_modules/next/dist/bin/next");

export interface LabServer {
  url: string;
  databaseUrl: string;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the app binds it itself, so there is no handing over). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Issues an ingest token for `cluster` in the database at `databaseUrl`. */
export async function issueToken(databaseUrl: string, cluster: string): Promise<string> {
  const db = createDb(databaseUrl);
  try {
    return (await createIngestToken(db, { cluster, label: "lab" })).token;
  } finally {
    await db.$disconnect();
  }
}

/** Waits until the app answers an API request (which also makes a dev server compile the route). */
async function waitUntilAnswering(url: string, timeoutMs: number, exited: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited()) throw new Error("the natwatch app exited during start-up");
    try {
      const response = await fetch(`${url}/api/v1/clusters`, { signal: AbortSignal.timeout(60_000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`the natwatch app did not answer within ${timeoutMs} ms`);
}

export async function startLabServer(processes: ProcessTracker, workDir: string, options: { dev?: boolean; build?: boolean; log?: (line: string) => void } = {}): Promise<LabServer> {
  const log = options.log ?? (() => undefined);
  const databaseUrl = `file:${path.join(workDir, "natwatch.db")}`;
  await migrateDatabase(databaseUrl, repoRoot);
  const env = { DATABASE_URL: databaseUrl, NEXT_TELEMETRY_DISABLED: "1" };
  if (!options.dev && (options.build || !existsSync(path.join(repoRoot, ".next", "BUILD_ID")))) {
    log("building the app: next build (about a minute)");
    const build = await processes.start("next build", process.execPath, [nextBin, "build"], { cwd: repoRoot, env: { ...env, NODE_ENV: "production" } });
    const code = await build.exited;
    if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${build.output().slice(-4000)}`);
  }
  const port = await freePort();
  const args = options.dev ? ["dev", "--turbopack", "-p", String(port), "-H", "127.0.0.1"] : ["start", "-p", String(port), "-H", "127.0.0.1"];
  const app = await processes.start("natwatch app", process.execPath, [nextBin, ...args], {
    cwd: repoRoot,
    env: { ...env, NODE_ENV: options.dev ? "development" : "production" },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, 180_000, () => app.child.exitCode !== null);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${app.output().slice(-4000)}`);
  }
  return { url, databaseUrl };
}
