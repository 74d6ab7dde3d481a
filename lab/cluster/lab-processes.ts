/**
 * The processes a lab run starts (pod servers, node agents, kube-inventory, the natwatch app): each spawned as the
 * leader of its own process group, listed in the run's pid file (pid and start time) so a later run can end them
 * after a crash, and stopped by pid — the whole group, so whatever a collector or `next start` started goes too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFile, mkdir, rm } from "node:fs/promises";
import { labStateDir, pidFileOf, processStartTime } from "./lab-names";

/** One started process. */
export interface LabProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Everything it printed (stdout and stderr), the last 64 KiB. */
  output(): string;
  /** Resolves when the process printed a line matching `pattern`; rejects when it exits first or time runs out. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts and tracks the processes of one lab run. */
export interface ProcessTracker {
  start(name: string, command: string, args: string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<LabProcess>;
  /** Stops every process still running, newest first. */
  stopAll(): Promise<void>;
  running(): LabProcess[];
}

const OUTPUT_LIMIT = 64 * 1024;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** A tracker writing its pids to the pid file of `owner` (this process by default). */
export async function createProcessTracker(owner: number = process.pid): Promise<ProcessTracker> {
  await mkdir(labStateDir(), { recursive: true });
  const pidFile = pidFileOf(owner);
  const all: LabProcess[] = [];

  async function start(name: string, command: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<LabProcess> {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env }, cwd: options.cwd });
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw new Error(`cannot start ${name} (${command}): ${error.message}`);
    }
    const pid = child.pid;
    // With its start time: a later run kills the group only while this pid is still this process (or gone).
    await appendFile(pidFile, `${pid} ${processStartTime(pid) ?? "-"}\n`);
    let output = "";
    const lineWaiters = new Set<(line: string) => void>();
    let partial = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-OUTPUT_LIMIT);
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) for (const waiter of lineWaiters) waiter(line);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    const proc: LabProcess = {
      name,
      pid,
      child,
      output: () => output,
      exited,
      waitForLine(pattern, timeoutMs) {
        const seen = output.split("\n").find((line) => pattern.test(line));
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            lineWaiters.delete(waiter);
          };
          const waiter = (line: string) => {
            if (!pattern.test(line)) return;
            done();
            resolve(line);
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
          }, timeoutMs);
          lineWaiters.add(waiter);
          void exited.then((code) => {
            if (!lineWaiters.has(waiter)) return;
            done();
            reject(new Error(`${name} exited (${code}) before printing ${pattern}:\n${output}`));
          });
        });
      },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        signalGroup(pid, "SIGTERM");
        const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
        // Children that ignored the group's SIGTERM (none should) end with it.
        signalGroup(pid, "SIGKILL");
      },
    };
    all.push(proc);
    return proc;
  }

  return {
    start,
    running: () => all.filter((p) => p.child.exitCode === null && p.child.signalCode === null),
    async stopAll() {
      await Promise.all([...all].reverse().map((p) => p.stop()));
      await rm(pidFile, { force: true });
    },
  };
}
