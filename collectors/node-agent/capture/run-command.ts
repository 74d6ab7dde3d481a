/**
 * Runs the capture commands, each behind the configured prefix (`ip netns exec NODE`, `nsenter -t 1 -n`, or
 * nothing on a hostNetwork pod). This is the agent's only door to the kernel, so tests and the lab point the agent
 * at any network namespace by the prefix alone.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Output of a command run to completion; a non-zero exit is a result, not an error. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when killed (timeout) or not startable (then `stderr` says why). */
  code: number;
}

/** Runs commands behind a prefix. */
export interface CommandRunner {
  run(cmd: string, args: readonly string[]): Promise<CommandResult>;
  /**
   * Feeds stdout line by line to `onLine` without keeping it (conntrack -L can be a million lines). `timeoutMs`
   * shortens the runner's own limit for this command.
   */
  streamLines(cmd: string, args: readonly string[], onLine: (line: string) => void, timeoutMs?: number): Promise<Omit<CommandResult, "stdout">>;
  /** Starts a long-running command (`nft monitor`); lines go to `onLine`, its end to `onExit`. */
  follow(cmd: string, args: readonly string[], onLine: (line: string) => void, onExit: (code: number, stderr: string) => void): { stop(): void };
}

/**
 * A runner that puts `prefix` in front of every command and kills any command running longer than `timeoutMs`.
 * The default is generous: `iptables-save -c` of a 10k-service nat table (≈250k lines) took 2 minutes on a
 * loaded 2-core machine here, most of it in iptables-nft fetching the rules' counters.
 */
export function createCommandRunner(prefix: readonly string[], timeoutMs = 600_000): CommandRunner {
  const argv = (cmd: string, args: readonly string[]): [string, string[]] => {
    const words = [...prefix, cmd, ...args];
    return [words[0]!, words.slice(1)];
  };

  function start(cmd: string, args: readonly string[]) {
    const [file, rest] = argv(cmd, args);
    const child = spawn(file, rest, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    const done = new Promise<{ code: number; stderr: string }>((resolve) => {
      child.on("error", (error) => resolve({ code: -1, stderr: `${file}: ${error.message}` }));
      child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
    return { child, done };
  }

  return {
    async run(cmd, args) {
      const { child, done } = start(cmd, args);
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const result = await done;
      clearTimeout(timer);
      return { stdout: Buffer.concat(chunks).toString("utf8"), stderr: result.stderr, code: result.code };
    },
    async streamLines(cmd, args, onLine, commandTimeoutMs) {
      const { child, done } = start(cmd, args);
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on("line", onLine);
      const limit = Math.min(timeoutMs, commandTimeoutMs ?? timeoutMs);
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, limit);
      const [result] = await Promise.all([done, new Promise((resolve) => lines.once("close", resolve))]);
      clearTimeout(timer);
      return killed ? { code: -1, stderr: `${result.stderr}killed after ${limit} ms`.trim() } : result;
    },
    follow(cmd, args, onLine, onExit) {
      const { child, done } = start(cmd, args);
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", onLine);
      void done.then((r) => onExit(r.code, r.stderr));
      return { stop: () => void child.kill("SIGTERM") };
    },
  };
}
