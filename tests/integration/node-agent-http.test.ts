/**
 * The node agent against the real natwatch app (next dev on a fresh SQLite database), capturing real kube-proxy
 * rules from throwaway network namespaces through `--exec-prefix "ip netns exec NS"`. Between agent and app sits
 * a TCP relay that counts the bytes on the wire and can play an unreachable or a slow server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../collectors/node-agent/agent";
import type { AgentConfig } from "../../collectors/node-agent/config";
import { createCommandRunner } from "../../collectors/node-agent/capture/run-command";
import type { LogEntry } from "../../collectors/node-agent/log";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { startAppServer, type AppServer } from "./support/app-server";
import { useTestDatabase } from "./support/databases";
import { renderNatRules } from "../../lab/kube-proxy/render-iptables";
import { corpusDir, kindNode, renderedDump, repoRoot, seedService } from "./support/ingest-fixtures";
import { createNetns, deleteNetns, inNetns } from "./support/netns";
import { startRelay, type Relay } from "./support/tcp-relay";

const WEBPODS = ["10.10.1.2", "10.10.2.2", "10.10.3.3"];
const RESTARTED = ["10.10.1.2", "10.10.2.5", "10.10.3.3"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Loads kube-proxy's rules for the seed's service with these endpoints into the namespace's nat table. */
async function loadRules(ns: string, webpods: readonly string[]): Promise<void> {
  const restore = renderedDump([seedService(webpods)]);
  const path_ = path.join(os.tmpdir(), `${ns}.rules`);
  await writeFile(path_, restore);
  await inNetns(ns, "iptables-restore", [path_]);
  await rm(path_);
}

/** `[packets:bytes]` in front of every rule, as `iptables-restore -c` reads them. */
function withCounters(restore: string, packets: number): string {
  return restore
    .split("\n")
    .map((line) => (line.startsWith("-A ") ? `[${packets}:${packets * 60}] ${line}` : line))
    .join("\n");
}

/**
 * kube-proxy's nftables scripts name chains before declaring them, which `nft -f` refuses: declarations first,
 * then rules and elements, each group in its original order.
 */
function reorderForLoad(script: string): string {
  const lines = script.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const group = (line: string) => (line.startsWith("add table ") ? 0 : /^add (set|map|chain) /.test(line) ? 1 : 2);
  return [0, 1, 2].flatMap((g) => lines.filter((line) => group(line) === g)).join("\n") + "\n";
}

describe("node agent against the natwatch app", () => {
  const database = useTestDatabase("sqlite");
  let app: AppServer;
  let relay: Relay;
  let token: string;
  const namespaces: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    app = await startAppServer({ databaseUrl: database().url, env: { NATWATCH_RETENTION_DAYS: "30" } });
    token = (await createIngestToken(database().db, { cluster: "kind", label: "node agent" })).token;
    relay = await startRelay(new URL(app.url));
  }, 300_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const ns of namespaces) await deleteNetns(ns).catch(() => undefined);
    await relay?.close();
    await app?.stop();
  });

  /** A namespace holding the seed's rules, deleted after the suite. */
  async function node(label: string): Promise<string> {
    const ns = await createNetns(label);
    namespaces.push(ns);
    await loadRules(ns, WEBPODS);
    return ns;
  }

  async function spoolDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-spool-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** An agent in this process for namespace `ns`, reporting as node `name`; its log lines are kept. */
  async function agentFor(ns: string, name: string, settings: Partial<AgentConfig> = {}, prefix = ["ip", "netns", "exec", ns]) {
    const logs: LogEntry[] = [];
    const config: AgentConfig = {
      server: relay.url,
      token,
      cluster: "kind",
      node: name,
      intervalMs: 3_600_000,
      debounceMs: 200,
      spoolDir: await spoolDir(),
      spoolMaxFiles: 100,
      spoolMaxBytes: 50_000_000,
      execPrefix: prefix,
      metricsPort: 0,
      watch: false,
      ...settings,
    };
    const agent: RunningAgent = await startAgent(config, { runner: createCommandRunner(prefix), now: () => new Date(), log: (e) => logs.push(e) });
    cleanups.push(() => agent.stop());
    return { agent, logs, config };
  }

  const capturesOf = (name: string) =>
    database().db.capture.findMany({ where: { node: { name } }, orderBy: { capturedAt: "asc" }, select: { captureId: true, capturedAt: true, receivedAt: true, snapshotId: true } });
  const snapshotsOf = (name: string) => database().db.snapshot.count({ where: { node: { name } } });

  it("uploads the first capture whole, then each unchanged capture in under 1 KB on the wire", async () => {
    const ns = await node("agent-first");
    const { agent } = await agentFor(ns, "worker-first");
    await agent.ready;
    expect(agent.metrics.uploads).toBe(1);
    const firstBytes = agent.metrics.bytesSent;

    const perCapture: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = relay.bytes();
      await agent.captureNow();
      perCapture.push(relay.bytes() - before);
    }
    console.log(`node agent: first capture ${firstBytes} B of request bodies; unchanged captures on the wire (HTTP included): ${perCapture.join(", ")} B`);
    for (const bytes of perCapture) expect(bytes).toBeLessThan(1024);
    expect(agent.metrics.uploads).toBe(4);
    const captures = await capturesOf("worker-first");
    expect(captures).toHaveLength(4);
    expect(new Set(captures.map((c) => c.snapshotId)).size).toBe(1);
    expect(await snapshotsOf("worker-first")).toBe(1);

    // The timer interval in use and the measured cost it follows are exported.
    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^natwatch_agent_interval_seconds 3600$/m);
    expect(Number(/^natwatch_agent_capture_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  }, 60_000);

  it("captures a rule change within a second or two through the change watch", async () => {
    const ns = await node("agent-watch");
    const { agent } = await agentFor(ns, "worker-watch", { watch: true });
    await waitFor("the first upload", () => agent.metrics.uploads >= 1);
    // Saving the filter table creates it on nf_tables, which the monitor reports once: let that settle.
    await sleep(1_500);
    expect(await snapshotsOf("worker-watch")).toBe(1);

    const changedAt = Date.now();
    await loadRules(ns, RESTARTED);
    await waitFor("the new snapshot", async () => (await snapshotsOf("worker-watch")) === 2, 10_000);
    const arrival = Date.now() - changedAt;
    const latest = (await capturesOf("worker-watch")).at(-1)!;
    const readAfter = latest.capturedAt.getTime() - changedAt;
    console.log(`node agent: rule change → kernel read ${readAfter} ms, → stored ${arrival} ms`);
    expect(readAfter).toBeGreaterThanOrEqual(0);
    expect(readAfter).toBeLessThan(1_500);
    expect(arrival).toBeLessThan(2_500);
  }, 60_000);

  it("falls back to polling for rule changes where `nft monitor` cannot run", async () => {
    const ns = await node("agent-poll");
    const dir = await spoolDir();
    const wrapper = path.join(dir, "no-nft.sh");
    // A node without the nft binary: `nft` is not found, everything else runs in the namespace.
    await writeFile(wrapper, ["#!/bin/sh", 'ns="$1"; shift', 'if [ "$1" = nft ]; then echo "nft: not found" >&2; exit 127; fi', 'exec ip netns exec "$ns" "$@"'].join("\n"));
    await chmod(wrapper, 0o755);
    const { agent, logs } = await agentFor(ns, "worker-poll", { watch: true }, [wrapper, ns]);
    await agent.ready;
    await waitFor("the switch to polling", () => logs.some((l) => l.msg.startsWith("nft monitor ended (exit 127); polling")), 5_000);
    await sleep(1_500);
    const changedAt = Date.now();
    await loadRules(ns, RESTARTED);
    await waitFor("the new snapshot", async () => (await snapshotsOf("worker-poll")) === 2, 10_000);
    expect(Date.now() - changedAt).toBeLessThan(3_000);
  }, 60_000);

  it("spools captures while the server is unreachable and replays them in order, none lost or doubled", async () => {
    const ns = await node("agent-outage");
    const { agent, logs } = await agentFor(ns, "worker-outage");
    await agent.ready;
    expect(agent.metrics.uploads).toBe(1);

    await relay.down();
    try {
      await agent.captureNow(); // unchanged relative to what the server has
      await loadRules(ns, RESTARTED);
      await agent.captureNow(); // changed: its new chains' bodies travel in the spool
      await agent.captureNow();
      expect(agent.metrics.spoolFiles).toBe(3);
      // The first failure is logged; later captures queue behind it without trying the server on their own.
      expect(logs.filter((l) => l.msg === "server unreachable: capture spooled")).toHaveLength(1);
      expect(await capturesOf("worker-outage")).toHaveLength(1);
    } finally {
      await relay.up();
    }

    await agent.captureNow();
    expect(agent.metrics.spoolFiles).toBe(0);
    expect(agent.metrics.uploads).toBe(5);
    const captures = await capturesOf("worker-outage");
    expect(captures).toHaveLength(5);
    expect(new Set(captures.map((c) => c.captureId)).size).toBe(5);
    // Replayed in capture order: arrival order equals capture order.
    const byArrival = [...captures].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
    expect(byArrival.map((c) => c.captureId)).toEqual(captures.map((c) => c.captureId));
    expect(await snapshotsOf("worker-outage")).toBe(2);
    expect(new Set(captures.slice(0, 2).map((c) => c.snapshotId)).size).toBe(1);
    expect(new Set(captures.slice(2).map((c) => c.snapshotId)).size).toBe(1);
  }, 90_000);

  it("drops the oldest captures from a full spool and reports how many with the next upload", async () => {
    const ns = await node("agent-overflow");
    const { agent, config } = await agentFor(ns, "worker-overflow", { spoolMaxFiles: 3 });
    await agent.ready;
    await relay.down();
    let kept: string[];
    try {
      for (let i = 0; i < 5; i++) await agent.captureNow();
      expect(agent.metrics.spoolFiles).toBe(3);
      expect(agent.metrics.dropped).toBe(2);
      const files = (await readdir(config.spoolDir)).filter((f) => f.endsWith(".json.gz")).sort();
      expect(files.map((f) => f.slice(0, 12))).toEqual(["000000000003", "000000000004", "000000000005"]);
      kept = files.map((f) => f.slice(13, -".json.gz".length));
    } finally {
      await relay.up();
    }
    await agent.captureNow();
    const captures = await capturesOf("worker-overflow");
    expect(captures).toHaveLength(5);
    expect(captures.slice(1, 4).map((c) => c.captureId)).toEqual(kept);
    await waitFor("the server's note of the drop", () => app.output().includes("node worker-overflow of cluster 1 dropped 2 captures from its spool") || app.output().match(/node worker-overflow of cluster \d+ dropped 2 captures/));
  }, 90_000);

  it("logs a truncated or failing iptables-save as a structured error, counts it, and keeps running", async () => {
    const ns = await node("agent-odd");
    const dir = await spoolDir();
    const wrapper = path.join(dir, "exec-prefix.sh");
    const lockFlag = path.join(dir, "xtables-locked");
    const truncateFlag = path.join(dir, "truncate");
    // Runs the command in the namespace, except iptables-save -c, which it truncates or fails on demand.
    await writeFile(
      wrapper,
      [
        "#!/bin/sh",
        'ns="$1"; shift',
        'if [ "$1" = iptables-save ] && [ "$2" = -c ]; then',
        `  if [ -e ${lockFlag} ]; then echo "Another app is currently holding the xtables lock. Perhaps you want to use the -w option?" >&2; exit 4; fi`,
        `  if [ -e ${truncateFlag} ]; then ip netns exec "$ns" "$@" | head -c 700; exit 0; fi`,
        "fi",
        'exec ip netns exec "$ns" "$@"',
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
    await writeFile(truncateFlag, "");
    const { agent, logs } = await agentFor(ns, "worker-odd", {}, [wrapper, ns]);
    await agent.ready;
    expect(agent.metrics.uploads).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", msg: "iptables-save output unreadable (truncated?)", cause: expect.stringMatching(/^line \d+: /) }));

    await rm(truncateFlag);
    await writeFile(lockFlag, "");
    await agent.captureNow();
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", msg: "iptables-save -c failed (exit 4)", cause: expect.stringContaining("xtables lock") }));
    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(metrics).toContain('natwatch_agent_errors_total{kind="capture"} 2');
    expect(metrics).toContain("natwatch_agent_captures_total 2");

    await rm(lockFlag);
    await agent.captureNow();
    expect(agent.metrics.uploads).toBe(1);
    expect(await capturesOf("worker-odd")).toHaveLength(1);
  }, 60_000);

  it("sends live DNAT'd flows aggregated and rule counters, then only the counters that changed", async () => {
    const ns = await createNetns("agent-counters");
    namespaces.push(ns);
    const restore = renderedDump([seedService(WEBPODS)]);
    const file = path.join(os.tmpdir(), `${ns}.rules`);
    cleanups.push(() => rm(file, { force: true }));
    await writeFile(file, withCounters(restore, 7));
    await inNetns(ns, "iptables-restore", ["-c", file]);
    // Two clients' connections to the ClusterIP, DNAT'd to webpod 10.10.1.2, as kube-proxy's KUBE-SEP rule leaves them.
    for (const port of [40000, 40001]) {
      await inNetns(ns, "conntrack", ["-I", "-p", "tcp", "--src", "10.0.0.5", "--dst", "10.200.1.201", "--sport", String(port), "--dport", "9000",
        "--reply-src", "10.10.1.2", "--reply-dst", "10.0.0.5", "--reply-port-src", "80", "--reply-port-dst", String(port), "--state", "ESTABLISHED", "--timeout", "300"]);
    }
    const { agent } = await agentFor(ns, "worker-counters");
    await agent.ready;
    expect(agent.metrics.uploads).toBe(1);
    const { db } = database();
    const where = { node: { name: "worker-counters" } };
    expect(await db.flowAggregate.findMany({ where, select: { destination: true, endpoint: true, protocol: true, count: true } })).toEqual([
      { destination: "10.200.1.201:9000", endpoint: "10.10.1.2:80", protocol: "tcp", count: 2 },
    ]);
    expect(await db.conntrackSample.findFirst({ where, select: { count: true } })).toEqual({ count: 2 });
    const counted = await db.ruleCounterSample.count({ where });
    expect(counted).toBeGreaterThan(10);

    // Unchanged counters are not sent again: the upload stays under 1 KB with every rule counting.
    const before = relay.bytes();
    await agent.captureNow();
    expect(relay.bytes() - before).toBeLessThan(1024);
    expect(await db.ruleCounterSample.count({ where })).toBe(counted);

    // One rule counts more (same rule, new counters): that counter alone travels.
    const markRule = restore.split("\n").find((line) => line.startsWith("-A KUBE-MARK-MASQ "))!;
    await inNetns(ns, "iptables", ["-t", "nat", "-R", "KUBE-MARK-MASQ", "1", "-c", "50", "3000", ...markRule.split(" ").slice(2)]);
    const beforeChange = relay.bytes();
    await agent.captureNow();
    expect(relay.bytes() - beforeChange).toBeLessThan(1024);
    expect(await db.ruleCounterSample.count({ where })).toBe(counted + 1);
    expect(await snapshotsOf("worker-counters")).toBe(1);
  }, 60_000);

  it("uploads the IPv6 rules of a dual-stack node as the ipv6 half of the same capture", async () => {
    const ns = await node("agent-dual");
    const v6Service = { ...seedService(["fd00:10:1::2", "fd00:10:2::2"]), clusterIP: "fd00:10:96::c9" };
    const v6Node = { ...kindNode, family: "ipv6" as const, nodeIPs: ["fc00:f853:ccd:e793::3"], podCIDR: "fd00:10::/56" };
    const file = path.join(os.tmpdir(), `${ns}.rules6`);
    cleanups.push(() => rm(file, { force: true }));
    await writeFile(file, renderNatRules([v6Service], v6Node, { tables: ["nat"], includeJumpRules: true }));
    await inNetns(ns, "ip6tables-restore", [file]);
    const { agent } = await agentFor(ns, "worker-dual");
    await agent.ready;
    const captures = await database().db.capture.findMany({ where: { node: { name: "worker-dual" } }, select: { captureId: true, family: true } });
    expect(captures.map((c) => c.family).sort()).toEqual(["ipv4", "ipv6"]);
    expect(captures[0]!.captureId).toBe(captures[1]!.captureId);
    expect(agent.metrics.uploads).toBe(2);
  }, 60_000);

  it("captures kube-proxy's nftables mode from `nft list table ip kube-proxy`", async () => {
    const ns = await createNetns("agent-nft");
    namespaces.push(ns);
    const file = path.join(os.tmpdir(), `${ns}.nft`);
    cleanups.push(() => rm(file, { force: true }));
    await writeFile(file, reorderForLoad(readFileSync(path.join(corpusDir, "nftables/001_TestOverallNFTablesRules.nft"), "utf8")));
    await inNetns(ns, "nft", ["-f", file]);
    const { agent, logs } = await agentFor(ns, "worker-nft");
    await agent.ready;
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
    expect(agent.metrics.uploads).toBe(1);
    const snapshot = await database().db.snapshot.findFirst({ where: { node: { name: "worker-nft" } }, include: { ruleset: true } });
    expect(snapshot?.ruleset).toMatchObject({ mode: "nftables" });
  }, 60_000);

  describe("as a process (bin/natwatch.mjs agent)", () => {
    function spawnAgent(ns: string, dir: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
      let output = "";
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, "bin/natwatch.mjs"), "agent", "--cluster", "kind", "--exec-prefix", `ip netns exec ${ns}`, "--spool-dir", dir, "--metrics-port", "0", "--interval", "3600"],
        { env: { ...process.env, NATWATCH_SERVER: relay.url, NATWATCH_TOKEN: token, NODE_NAME: "worker-process" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      cleanups.push(async () => void child.kill("SIGKILL"));
      return { child, output: () => output, exit };
    }

    it("on SIGTERM finishes the upload in flight, spools what it cannot send, and exits 0", async () => {
      const ns = await node("agent-sigterm");
      const dir = await spoolDir();
      const first = spawnAgent(ns, dir);
      await waitFor("the first capture", async () => (await capturesOf("worker-process")).length >= 1, 30_000);
      await sleep(1_500);
      const settled = (await capturesOf("worker-process")).length;

      // An upload held in the relay when SIGTERM comes is still finished.
      relay.delay(1_500);
      const before = relay.bytes();
      await loadRules(ns, RESTARTED);
      await waitFor("the change's upload to start", () => relay.bytes() > before, 10_000);
      first.child.kill("SIGTERM");
      expect(await first.exit).toBe(0);
      relay.delay(0);
      expect(await capturesOf("worker-process")).toHaveLength(settled + 1);
      expect(first.output()).toMatch(/"msg":"agent stopped","spooled":0/);

      // With the server away, the capture goes to the spool on SIGTERM, and the next start replays it.
      await relay.down();
      const second = spawnAgent(ns, dir);
      try {
        await waitFor("the capture to be spooled", () => second.output().includes("server unreachable: capture spooled"), 30_000);
        second.child.kill("SIGTERM");
        expect(await second.exit).toBe(0);
      } finally {
        await relay.up();
      }
      const spooled = (await readdir(dir)).filter((f) => /^\d{12}-/.test(f)).length;
      expect(spooled).toBeGreaterThanOrEqual(1);
      expect(await capturesOf("worker-process")).toHaveLength(settled + 1);

      const third = spawnAgent(ns, dir);
      await waitFor("the spooled and the new capture", async () => (await capturesOf("worker-process")).length >= settled + 1 + spooled + 1, 30_000);
      third.child.kill("SIGTERM");
      expect(await third.exit).toBe(0);
      expect((await readdir(dir)).filter((f) => /^\d{12}-/.test(f))).toHaveLength(0);
    }, 120_000);
  });
});
