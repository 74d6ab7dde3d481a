/**
 * Removes what a crashed or killed lab run left behind: its processes (those inside its namespaces, found with
 * `ip netns pids`, and those it listed in its pid file) and then its namespaces, whose veths and netfilter state go
 * with them. Namespaces and pid files of a live lab process are left alone, as is every other namespace.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { deleteNetns, listNetns, netnsPids } from "../netns/netns";
import { labStateDir, ownerOfLabNetns, pidFileOf, processAlive, processStartTime, workDirOf } from "./lab-names";

/** What a cleanup removed. */
export interface LeftoverReport {
  namespaces: string[];
  processes: number[];
}

/**
 * Kills the process group a dead run started with leader `pid` (started at `startTime`). While the leader runs with
 * another start time the pid was reused, and the group is not ours; while any member of our group lives, Linux does
 * not hand its id to a new process, so a group found under that id is ours.
 */
function killLeftoverGroup(pid: number, startTime: string): boolean {
  if (processAlive(pid) && processStartTime(pid) !== startTime) return false;
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** Kills every process inside `ns` and deletes it (the namespace only disappears once its last process is gone). */
export async function removeLabNetns(ns: string): Promise<number[]> {
  const killed: number[] = [];
  for (const pid of await netnsPids(ns)) {
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  if ((await listNetns()).includes(ns)) await deleteNetns(ns);
  return killed;
}

/** Removes the leftovers of every lab run whose process is gone; `owner` (this run) is never touched. */
export async function removeLabLeftovers(owner: number = process.pid): Promise<LeftoverReport> {
  const report: LeftoverReport = { namespaces: [], processes: [] };
  const deadOwners = new Set<number>();
  for (const file of await readdir(labStateDir()).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)\.pids$/.exec(file)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== owner && !processAlive(pid)) deadOwners.add(pid);
  }
  for (const dead of deadOwners) {
    const listed = await readFile(pidFileOf(dead), "utf8").catch(() => "");
    for (const line of listed.split("\n")) {
      const [pid, startTime] = [Number(line.split(" ")[0]), line.split(" ")[1] ?? ""];
      if (Number.isInteger(pid) && pid > 0 && killLeftoverGroup(pid, startTime)) report.processes.push(pid);
    }
    await rm(pidFileOf(dead), { force: true });
    await rm(workDirOf(dead), { recursive: true, force: true });
  }
  const names = (await listNetns()).filter((name) => {
    const pid = ownerOfLabNetns(name);
    return pid !== null && pid !== owner && !processAlive(pid);
  });
  for (const ns of names) {
    report.processes.push(...(await removeLabNetns(ns)));
    report.namespaces.push(ns);
  }
  return report;
}
