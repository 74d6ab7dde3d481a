/**
 * The real natwatch app for HTTP tests: `next dev --turbopack` on a free loopback port, with DATABASE_URL (and any
 * other natwatch variable) pointing where the test says, stopped with its whole process group afterwards.
 *
 * Why dev and not build + start: measured here, the dev server answers its first API request ~4 s after start
 * (Turbopack compiles only the routes requested), while `next build` takes ~65 s and type-checks the whole checkout,
 * so one unrelated unfinished file would fail every HTTP test. Next allows one dev server per checkout (a lock in
 * .next/dev): a second start waits for the first to stop, so suites that need a server take turns.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../lab/natwatch-server";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A running app. */
export interface AppServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Options of `startAppServer`: natwatch's environment variables for the server process. */
export interface AppServerOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  /** How long to wait for another dev server of this checkout to stop (default 4 minutes). */
  lockWaitMs?: number;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** Kills the server and everything it started (it runs in its own process group). */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
  }, 5_000);
  await done;
  clearTimeout(timer);
}

/**
 * Starts the app and resolves once it answers an API request (which makes Turbopack compile the ingest routes).
 * Throws with the server's output when it does not come up.
 */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const deadline = Date.now() + (options.lockWaitMs ?? 240_000);
  for (;;) {
    const port = await freePort();
    let output = "";
    const child = spawn(process.execPath, [path.join(repoRoot, "node_modules/next/dist/bin/next"), "dev", "--turbopack", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: repoRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "development" },
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    const server: AppServer = { url, output: () => output, stop: () => killGroup(child) };

    const ready = await waitUntilAnswering(url, child, Math.max(deadline - Date.now(), 60_000));
    if (ready) return server;
    await killGroup(child);
    if (output.includes("Another next dev server is already running") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      continue;
    }
    throw new Error(`the natwatch app did not start:\n${output}`);
  }
}

/** Polls until the captures route answers (any status), the process exits, or the time is up. */
async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`${url}/api/v1/captures`, { method: "POST", signal: AbortSignal.timeout(60_000) });
      await response.arrayBuffer();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  return false;
}
