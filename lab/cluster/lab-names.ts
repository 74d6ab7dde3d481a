/**
 * Names of what the lab creates on the machine. Every network namespace is `natwatch-lab-<pid>-<label>`, and every
 * helper process the lab starts outside a namespace is listed in `<state dir>/<pid>.pids`, where <pid> is the lab
 * process that owns them: a later run tells a crashed run's leftovers (owner gone) from a live run's.
 */
import { readFileSync } from "node:fs";
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

/** The start time of a process (`/proc/PID/stat` field 22, clock ticks since boot), or null when it is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether a process runs. A zombie does not: a killed run's children are re-parented to pid 1, and where pid 1 is
 * not an init that reaps them (a container's or a micro-VM's agent) they stay in the table as zombies.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but is someone else's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // `pid (comm) S …`: the state follows the last ")" (comm may contain spaces and parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
