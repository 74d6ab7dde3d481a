/**
 * Throwaway network namespaces for kernel tests. Everything a test does to netfilter, routes or links happens inside
 * a namespace made here and deleted afterwards; the host's own tables are never touched.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

let created = 0;

/** Output of a command run inside a namespace. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** Fails with a clear message when the process cannot create namespaces (kernel tests run as root, in CI too). */
export function requireRoot(): void {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    throw new Error("kernel tests need root: network namespaces and nft need CAP_NET_ADMIN and CAP_SYS_ADMIN");
  }
}

/** Creates `natwatch-<label>-<pid>-<n>`, unique per process and call, and brings its loopback up. */
export async function createNetns(label: string): Promise<string> {
  requireRoot();
  const name = `natwatch-${label}-${process.pid}-${++created}`;
  await run("ip", ["netns", "add", name]);
  await run("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  return name;
}

/** Deletes a namespace made by `createNetns`; a namespace already gone is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  if (!name.startsWith("natwatch-")) throw new Error(`refusing to delete namespace ${name}: not made by these tests`);
  try {
    await run("ip", ["netns", "delete", name]);
  } catch (error) {
    const { stdout } = await run("ip", ["netns", "list"]);
    if (stdout.split("\n").some((line) => line.split(" ")[0] === name)) throw error;
  }
}

/** Runs `command args…` inside the namespace; rejects with its stderr when it exits non-zero. */
export async function inNetns(name: string, command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandOutput> {
  try {
    return await run("ip", ["netns", "exec", name, command, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`${command} ${args.join(" ")} in ${name} failed: ${stderr || String(error)}`);
  }
}
