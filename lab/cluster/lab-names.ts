/**
 * Names of what the lab creates on the machine. Every network namespace is `natwatch-lab-<pid>-<label>`, and every
 * helper process the lab starts outside a namespace is listed in `<state dir>/<pid>.pids`, where <pid> is the lab
 * process that owns them: a later run tells a crashed run's leftovers (owner gone) from a live run's.
 */
import os from "node:os";
import path from "node:path";

const NETNS_PATTERN = /^natwatch-lab-(\d+)-([A-Za-z0-9_.-]+)$/;

/** The namespace of `label` owned by lab process `owner`. */
export function labNetnsName(owner: number, label: string): string {
  return `natwatch-lab-${owner}-${label}`;
}

/** The owning lab process of a namespace name, or null when the name is not a lab namespace. */
export function ownerOfLabNetns(name: string): number | null {
  const match = NETNS_PATTERN.exec(name);
  return match ? Number(match[1]) : null;
}

/** Where the lab keeps pid lists, kubeconfigs and agent spools (one folder per owning process). */
export function labStateDir(): string {
  return path.join(os.tmpdir(), "natwatch-lab");
}

/** The pid list of lab process `owner`. */
export function pidFileOf(owner: number): string {
  return path.join(labStateDir(), `${owner}.pids`);
}

/** The working folder of lab process `owner` (kubeconfig, spools, logs). */
export function workDirOf(owner: number): string {
  return path.join(labStateDir(), String(owner));
}

/** Whether a process exists (EPERM: it exists but is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
