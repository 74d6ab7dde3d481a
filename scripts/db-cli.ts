/**
 * What the db scripts share: the checkout's root, a main-module test, and running the Prisma CLI against one
 * database. The CLI reads prisma.config.ts, which picks the provider's schema, migrations and driver adapter from
 * DATABASE_URL; so pointing a command at a database is setting that one variable for the child process.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The checkout this script belongs to. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

/** Exit status and output of one Prisma CLI run. */
export interface PrismaRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `runPrisma`. */
export interface PrismaRunOptions {
  /** Database the command works on (becomes the child's DATABASE_URL); the CLI picks the provider from it. */
  databaseUrl: string;
  /** Echo the CLI's output while it runs (scripts) instead of only collecting it (tests). */
  echo?: boolean;
  root?: string;
  /** Kill the CLI after this long (default 5 minutes): a hung migration should fail, not block a deploy or CI. */
  timeoutMs?: number;
}

/** Runs `prisma ARGS…` from the checkout's node_modules and resolves when it exits (it never rejects on a failure). */
export function runPrisma(args: string[], options: PrismaRunOptions): Promise<PrismaRun> {
  const root = options.root ?? repoRoot;
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      // The child inherits the environment with DATABASE_URL replaced; Prisma's update check would reach for the
      // network, which CI machines may not have.
      env: { ...process.env, DATABASE_URL: options.databaseUrl, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      stderr += `\nprisma ${args.join(" ")} killed after ${timeoutMs} ms`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Like `runPrisma`, but throws with the CLI's output when it fails. */
export async function runPrismaOrThrow(args: string[], options: PrismaRunOptions): Promise<PrismaRun> {
  const run = await runPrisma(args, options);
  if (run.code !== 0) {
    const output = options.echo ? "" : `\n${run.stdout}${run.stderr}`.trimEnd();
    throw new Error(`prisma ${args.join(" ")} exited with ${run.code}${output}`);
  }
  return run;
}
