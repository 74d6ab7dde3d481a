/**
 * Small helpers over `ip netns` for the lab, the kernel tests and the benchmark. Everything kernel-related natwatch
 * does on a developer machine happens in a namespace made here and deleted afterwards, never in the host's own
 * netfilter tables.
 *
 * Namespaces made by `withNetns` are named `natwatch-<prefix>-<pid>-<n>`, so a later run can tell which ones a
 * crashed process left behind (its pid is gone) from those another live process is using.
 */
import { spawn } from "node:child_process";

/** Result of a command run to completion. A non-zero exit is a result, not an error. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when the process was killed by a signal (timeout). */
  code: number;
}

export interface ExecOptions {
  /** Text fed to the command's standard input (e.g. a restore file). */
  input?: string;
  /** Kill the command after this long (default 10 minutes: a 25 MB restore takes seconds, not minutes). */
  timeoutMs?: number;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Runs a command to completion in the current namespace (e.g. `ip -n NS …`, which enters NS by itself). */
export function runCommand(command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return run(command, args, options);
}

function run(command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), code: code ?? -1 });
    });
    // A command that exits without reading its input (bad arguments) must not turn into an EPIPE crash.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

async function runChecked(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`invalid network namespace name: ${JSON.stringify(name)}`);
}

/** Names of all network namespaces (`ip netns list` prints `name (id: N)`). */
export async function listNetns(): Promise<string[]> {
  const out = await runChecked("ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((line) => line.trim().split(" ")[0] ?? "")
    .filter((name) => name !== "");
}

/** Creates a namespace and brings its loopback up (a fresh namespace's `lo` is down, so 127.0.0.1 is unreachable). */
export async function createNetns(name: string): Promise<void> {
  checkName(name);
  await runChecked("ip", ["netns", "add", name]);
  await runChecked("ip", ["-n", name, "link", "set", "lo", "up"]);
}

/** Deletes a namespace; its interfaces, rules and conntrack entries go with it. */
export async function deleteNetns(name: string): Promise<void> {
  checkName(name);
  await runChecked("ip", ["netns", "delete", name]);
}

/** Pids of the processes running inside namespace `name` (`ip netns pids`). */
export async function netnsPids(name: string): Promise<number[]> {
  checkName(name);
  const result = await run("ip", ["netns", "pids", name]);
  if (result.code !== 0) return [];
  return result.stdout.split("\n").map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Runs `cmd args` inside namespace `ns` (`ip netns exec`), feeding `input` to its standard input. */
export function execInNetns(ns: string, cmd: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  checkName(ns);
  return run("ip", ["netns", "exec", ns, cmd, ...args], options);
}

let counter = 0;

/** A namespace name unique to this process and call: `natwatch-<prefix>-<pid>-<n>` (see `removeLeftovers`). */
export function uniqueNetnsName(prefix: string): string {
  return `natwatch-${prefix}-${process.pid}-${counter++}`;
}

/**
 * Runs `fn` with a fresh namespace named `natwatch-<prefix>-<pid>-<n>` and deletes it afterwards, also when `fn`
 * throws.
 */
export async function withNetns<T>(prefix: string, fn: (ns: string) => Promise<T>): Promise<T> {
  const name = uniqueNetnsName(prefix);
  await createNetns(name);
  try {
    return await fn(name);
  } finally {
    await deleteNetns(name);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Deletes the `natwatch-<prefix>-<pid>-<n>` namespaces whose process is gone (a crashed or killed run), and returns
 * their names. Namespaces of live processes and every other namespace are left alone.
 */
export async function removeLeftovers(prefix: string): Promise<string[]> {
  const pattern = new RegExp(`^natwatch-${escapeRegExp(prefix)}-(\\d+)-\\d+$`);
  const removed: string[] = [];
  for (const name of await listNetns()) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    await deleteNetns(name);
    removed.push(name);
  }
  return removed;
}
