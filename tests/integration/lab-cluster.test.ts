// Runs as root: builds the lab cluster from real network namespaces, twice, and checks that nothing outlives it —
// neither after a clean stop nor after a run that was killed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startLabCluster } from "../../lab/cluster/cluster";
import { pidFileOf, processAlive } from "../../lab/cluster/lab-names";
import { removeLabLeftovers } from "../../lab/cluster/leftovers";
import { listNetns, runCommand } from "../../lab/netns/netns";
import { requireRoot } from "./support/netns";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The host's interfaces and netfilter rules (counters and timestamps left out), read only. */
async function hostState(): Promise<{ links: string; rules: string }> {
  const links = await runCommand("ip", ["-o", "link", "show"]);
  const rules = await runCommand("iptables-save", []);
  return {
    links: links.stdout.split("\n").map((l) => l.split(":")[1]?.trim() ?? "").sort().join(" "),
    rules: rules.stdout.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.replace(/\[\d+:\d+\]/g, "")).join("\n"),
  };
}

const labNamespacesOf = async (owner: number) => (await listNetns()).filter((n) => n.startsWith(`natwatch-lab-${owner}-`));

describe("the lab cluster", () => {
  it("comes up and goes away twice in a row, leaving no namespace, link, rule or process behind", async () => {
    requireRoot();
    const before = await hostState();
    for (let round = 0; round < 2; round++) {
      const cluster = await startLabCluster({ log: () => undefined });
      let pids: number[] = [];
      try {
        // Bridge, four nodes and the system pods (two CoreDNS, local-path-provisioner, kube-ops-view).
        expect((await labNamespacesOf(process.pid)).length).toBe(1 + 4 + 4);
        pids = cluster.processes.running().map((p) => p.pid);
        expect(pids.length).toBe(3);
        // Real traffic inside the lab: kube-ops-view's node port on a worker, from the kind bridge.
        const reply = await cluster.curl(null, "http://172.18.0.3:30000/", 4);
        expect(reply.errors).toEqual({});
        expect(reply.hostnames).toEqual({ "kube-ops-view-657dbc6cd8-6fh4q": 4 });
      } finally {
        await cluster.stop();
      }
      expect(await labNamespacesOf(process.pid)).toEqual([]);
      expect(pids.filter(processAlive)).toEqual([]);
      expect(existsSync(pidFileOf(process.pid))).toBe(false);
      expect(await hostState()).toEqual(before);
    }
  }, 120_000);

  it("removes a killed run's namespaces and processes on the next start", async () => {
    requireRoot();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "support/lab-crash-child.ts")], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const up = /^up (.*)$/m.exec(out);
        if (up) resolve(up[1]!);
      });
      child.once("exit", (code) => reject(new Error(`the lab run exited (${code}) before it was up`)));
    });
    const { podServers, helper } = JSON.parse(line) as { podServers: number[]; helper: number };
    const owner = child.pid!;
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect((await labNamespacesOf(owner)).length).toBe(9);
    expect(podServers.filter(processAlive).length).toBe(3);
    expect(processAlive(helper)).toBe(true);

    const removed = await removeLabLeftovers();
    expect(removed.namespaces.length).toBe(9);
    expect(await labNamespacesOf(owner)).toEqual([]);
    expect(podServers.filter(processAlive)).toEqual([]);
    expect(processAlive(helper)).toBe(false);
    expect(existsSync(pidFileOf(owner))).toBe(false);
  }, 120_000);
});
