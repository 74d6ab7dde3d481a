/**
 * Throwaway network namespaces for kernel tests, on top of the lab's namespace helpers: everything a test does to
 * netfilter, routes or links happens inside a namespace made here and deleted afterwards.
 */
import {
  createNetns as createNamedNetns,
  deleteNetns as deleteNamedNetns,
  execInNetns,
  listNetns,
  uniqueNetnsName,
} from "../../../lab/netns/netns";

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

/** Creates `natwatch-<label>-<pid>-<n>` with its loopback up, and returns its name. */
export async function createNetns(label: string): Promise<string> {
  requireRoot();
  const name = uniqueNetnsName(label);
  await createNamedNetns(name);
  return name;
}

/** Deletes a namespace made by `createNetns`; a namespace already gone is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  if (!name.startsWith("natwatch-")) throw new Error(`refusing to delete namespace ${name}: not made by these tests`);
  if ((await listNetns()).includes(name)) await deleteNamedNetns(name);
}

/** Runs `command args…` inside the namespace; rejects with its stderr when it exits non-zero. */
export async function inNetns(name: string, command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandOutput> {
  const result = await execInNetns(name, command, [...args], { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} in ${name} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}
