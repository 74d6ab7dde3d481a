/**
 * DESIGN.md budget: the node agent stays under 2% of one core on average and under 150 MB RSS at 10k services.
 *
 * The real agent as the DaemonSet runs it (the bundle of `npm run build:collectors`, dist/collectors/agent.mjs, built
 * at the start of the section, with the node flags of the image's ENTRYPOINT; a child process) captures the 10k-service rule set from a throwaway network
 * namespace through `--exec-prefix "ip netns exec NS"` and uploads to the real app (next dev on a scratch SQLite
 * database), at the default interval. Measured from outside, as an operator would:
 * - CPU: utime + stime + cutime + cstime of the agent in /proc/PID/stat (cutime/cstime: the capture commands it ran
 *   and reaped), plus the CPU of its live children (`nft monitor`), over 5 minutes of an unchanged rule set;
 * - memory: VmHWM of the agent process, over the first capture (every body uploaded), the unchanged window and the
 *   changes apart;
 * - wire: request bytes per unchanged capture, from the agent's own counter;
 * - a rule change: from the kernel commit to the capture arriving at the server (the budget: a pass-through probe
 *   in front of the app notes when each upload's last byte came in), and on to the new snapshot stored;
 * - churn: CPU while a rule changes every second.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { execInNetns, removeLeftovers, withNetns } from "../../lab/netns/netns";
import { ensureNfacctCounters, nfacctNamesIn } from "../../lab/netns/nfacct";
import { openMigratedDb, type Db } from "../../lib/server/db";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { repoRoot } from "../../scripts/db-cli";
import { buildCollectors, COLLECTOR_BUNDLES } from "../../scripts/build-collectors";
import { migrateDatabase } from "../../scripts/db-migrate";
import { startAppServer } from "../../tests/integration/support/app-server";
import { generateKubeProxyDump } from "../generate-nat-dump";
import { startArrivalProbe, type ArrivalProbe } from "../measure/arrival-probe";
import type { BenchRow, BenchSection } from "../report";
import { fmtBytes, fmtMs, median } from "../stats";

/** How long each phase lasts; the defaults are the budget's. */
export interface NodeAgentBenchShape {
  services: number;
  /** The unchanged phase: the agent alone at its default interval. */
  idleSeconds: number;
  /** Rule changes timed one by one, spaced so that each finds the churn budget full. */
  changes: number;
  changeGapSeconds: number;
  /** The churn phase: one rule change per second. */
  churnSeconds: number;
}

const SHAPE: NodeAgentBenchShape = { services: 10_000, idleSeconds: 300, changes: 3, changeGapSeconds: 45, churnSeconds: 120 };
const NODE = "node-0";
const CLOCK_TICKS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds of a process and its live descendants, reaped children included (/proc/PID/stat fields 14–17). */
function treeCpuSeconds(rootPid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  for (const [pid, stat] of stats) {
    for (let at: number | undefined = pid, hops = 0; at !== undefined && at > 1 && hops < 50; at = stats.get(at)?.ppid, hops++) {
      if (at === rootPid) {
        ticks += stat.ticks;
        break;
      }
    }
  }
  return ticks / CLOCK_TICKS;
}

/** A `Vm…:` figure of /proc/PID/status in MiB. */
function statusMiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? NaN) / 1024;
}

/** The agent's Prometheus metrics as name → value (unlabelled samples only). */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

interface AgentProcess {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  log: string[];
  stop(): Promise<number | null>;
}

async function startAgentProcess(agentBundle: string, ns: string, server: string, token: string, spoolDir: string): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [...COLLECTOR_BUNDLES.agent.nodeFlags, agentBundle, "--server", server, "--token", token, "--cluster", "bench", "--node", NODE, "--exec-prefix", `ip netns exec ${ns}`, "--spool-dir", spoolDir, "--metrics-port", "0"],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The agent logs JSON lines on stderr; one of them gives the metrics port.
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      log.push(line);
      const address = /"msg":"metrics listening","address":"127\.0\.0\.1:(\d+)"/.exec(line);
      if (address) resolve(Number(address[1]));
    });
    void exited.then((code) => reject(new Error(`natwatch agent exited (${code}) before serving metrics:\n${log.join("\n")}`)));
  });
  return {
    child,
    pid: child.pid!,
    metricsPort: port,
    log,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** One kube-proxy-like change: a new endpoint chain with its DNAT rule, committed in one transaction. */
async function changeRules(ns: string, n: number): Promise<void> {
  const chain = `KUBE-SEP-BENCH${String(n).padStart(10, "0")}`;
  const input = `*nat\n:${chain} - [0:0]\n-A ${chain} -p tcp -m comment --comment "bench/change-${n}:http" -m tcp -j DNAT --to-destination 10.250.${n >> 8 & 255}.${n & 255}:8080\nCOMMIT\n`;
  const result = await execInNetns(ns, "iptables-restore", ["--noflush"], { input });
  if (result.code !== 0) throw new Error(`iptables-restore --noflush failed: ${result.stderr}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const MIB = 1_048_576;
const mb = (mib: number) => `${((mib * MIB) / 1e6).toFixed(0)} MB`;
/** Where the bench is, on stderr: the section runs for a quarter of an hour. */
const progress = (what: string) => process.stderr.write(`bench agent: ${new Date().toISOString()} ${what}\n`);
const pct = (share: number) => `${(share * 100).toFixed(2)}% of a core`;

export async function nodeAgentSection(canUseNetns: boolean, shape: NodeAgentBenchShape = SHAPE): Promise<BenchSection> {
  const title = `Node agent on the ${shape.services.toLocaleString("en")}-service rule set`;
  if (!canUseNetns) return { title, rows: [], notes: ["Not measured: the agent bench needs root for a network namespace."] };
  await removeLeftovers("bench-agent");
  const { agent: agentBundle } = await buildCollectors();
  return withNetns("bench-agent", async (ns) => {
    const dump = generateKubeProxyDump({ services: shape.services, endpointsPerService: 5 });
    const wanted = nfacctNamesIn(dump);
    if ((await ensureNfacctCounters(ns, wanted)).length < wanted.length) throw new Error("the dump uses nfacct objects: install the nfacct tool");
    const restored = await execInNetns(ns, "iptables-restore", [], { input: dump });
    if (restored.code !== 0) throw new Error(`iptables-restore failed: ${restored.stderr.slice(0, 500)}`);
    // A real node has every table already; saving creates a missing one on nf_tables, which `nft monitor` would
    // report as a change right after the agent's first capture.
    for (const [cmd, table] of [["iptables-save", "filter"], ["ip6tables-save", "nat"], ["ip6tables-save", "filter"]] as const) await execInNetns(ns, cmd, ["-t", table]);
    const saveStarted = performance.now();
    const saved = await execInNetns(ns, "iptables-save", ["-c", "-t", "nat"]);
    const saveMs = performance.now() - saveStarted;
    const saveBytes = Buffer.byteLength(saved.stdout);
    const saveLines = saved.stdout.split("\n").length - 1;

    progress(`rule set loaded (${saveLines} lines)`);
    const scratch = await mkdtemp(path.join(os.tmpdir(), "natwatch-bench-agent-"));
    const databaseUrl = `file:${path.join(scratch, "bench.db")}`;
    await migrateDatabase(databaseUrl);
    const db: Db = await openMigratedDb(databaseUrl, repoRoot);
    const app = await startAppServer({ databaseUrl, env: { NATWATCH_RETENTION_DAYS: "30" } });
    let agent: AgentProcess | undefined;
    let probe: ArrivalProbe | undefined;
    try {
      probe = await startArrivalProbe(app.url);
      const { token } = await createIngestToken(db, { cluster: "bench", label: "bench agent" });
      const snapshots = () => db.snapshot.count({ where: { node: { name: NODE } } });
      const captures = () => db.capture.count({ where: { node: { name: NODE } } });

      progress("app started");
      const started = Date.now();
      agent = await startAgentProcess(agentBundle, ns, probe.url, token, path.join(scratch, "spool"));
      const first = await waitFor("the first capture", async () => ((await scrape(agent!.metricsPort)).get("natwatch_agent_uploads_total")! >= 1 ? scrape(agent!.metricsPort) : undefined), 600_000, 500);
      const firstMs = Date.now() - started;
      progress("first capture uploaded");

      // The first routine capture (an unchanged one) sets the interval from a routine cost; the window starts after it.
      const routine = await waitFor("the first routine capture", async () => ((await captures()) >= 2 ? scrape(agent!.metricsPort) : undefined), 1_200_000, 1_000);
      const m0 = routine;
      progress(`first routine capture stored; unchanged window of ${shape.idleSeconds} s`);
      // The peak so far (first capture: every body uploaded), then the kernel's peak counter starts over
      // (clear_refs 5, see proc(5)) so that VmHWM at the end of the window is the window's own peak.
      const startupPeakRss = statusMiB(agent.pid, "VmHWM");
      writeFileSync(`/proc/${agent.pid}/clear_refs`, "5");
      const cpu0 = treeCpuSeconds(agent.pid);
      const t0 = performance.now();
      await sleep(shape.idleSeconds * 1000);
      const cpu1 = treeCpuSeconds(agent.pid);
      const idleSeconds = (performance.now() - t0) / 1000;
      const idlePeakRss = statusMiB(agent.pid, "VmHWM");
      const m1 = await scrape(agent.metricsPort);
      const idleShare = (cpu1 - cpu0) / idleSeconds;
      const idleCaptures = m1.get("natwatch_agent_captures_total")! - m0.get("natwatch_agent_captures_total")!;
      const unchangedUploads = routine.get("natwatch_agent_uploads_total")! - first.get("natwatch_agent_uploads_total")! + m1.get("natwatch_agent_uploads_total")! - m0.get("natwatch_agent_uploads_total")!;
      const unchangedBytes = routine.get("natwatch_agent_bytes_sent_total")! - first.get("natwatch_agent_bytes_sent_total")! + m1.get("natwatch_agent_bytes_sent_total")! - m0.get("natwatch_agent_bytes_sent_total")!;
      const intervalSeconds = m1.get("natwatch_agent_interval_seconds")!;
      const captureCpu = m1.get("natwatch_agent_capture_cpu_seconds")!;
      const captureWall = m1.get("natwatch_agent_capture_duration_seconds")!;

      progress("unchanged window done; rule changes");
      // Rule changes, one at a time: kernel commit → new snapshot stored.
      const latencies: { ms: number; arrivalMs: number; captureSeconds: number }[] = [];
      for (let n = 1; n <= shape.changes; n++) {
        const before = await snapshots();
        await changeRules(ns, n);
        const committed = performance.now();
        const committedWall = Date.now();
        progress(`change ${n} committed`);
        await waitFor(`the snapshot of change ${n}`, async () => ((await snapshots()) > before ? true : undefined), 120_000);
        const ms = performance.now() - committed;
        // The first upload of a capture read after the commit: the change reached the server with it.
        const arrival = probe.arrivals.find((a) => a.arrivedAt > committed && a.capturedAt >= committedWall);
        latencies.push({ ms, arrivalMs: arrival ? arrival.arrivedAt - committed : Number.NaN, captureSeconds: (await scrape(agent.metricsPort)).get("natwatch_agent_capture_duration_seconds")! });
        await sleep(shape.changeGapSeconds * 1000);
      }

      progress("churn");
      // Churn: a change every second.
      const c0 = await scrape(agent.metricsPort);
      const churnCpu0 = treeCpuSeconds(agent.pid);
      const churnStart = performance.now();
      for (let n = 1000; performance.now() - churnStart < shape.churnSeconds * 1000; n++) {
        const tick = performance.now();
        await changeRules(ns, n);
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
      const churnSeconds = (performance.now() - churnStart) / 1000;
      const churnShare = (treeCpuSeconds(agent.pid) - churnCpu0) / churnSeconds;
      const c1 = await scrape(agent.metricsPort);
      const churnCaptures = c1.get("natwatch_agent_captures_total")! - c0.get("natwatch_agent_captures_total")!;
      const churnChanges = c1.get("natwatch_agent_rule_changes_total")! - c0.get("natwatch_agent_rule_changes_total")!;

      const laterPeakRss = statusMiB(agent.pid, "VmHWM");
      const endRss = statusMiB(agent.pid, "VmRSS");
      const peakRss = Math.max(startupPeakRss, idlePeakRss, laterPeakRss);
      const exitCode = await agent.stop();
      agent = undefined;

      const worstSlack = Math.max(...latencies.map((l) => l.arrivalMs - l.captureSeconds * 1000));
      const rows: BenchRow[] = [
        { measure: "rule set", value: `${saveLines.toLocaleString("en")} lines, ${fmtBytes(saveBytes)} of \`iptables-save -c -t nat\`, which takes ${fmtMs(saveMs)} alone`, budget: "", ok: null },
        { measure: "first capture uploaded (every body sent)", value: `${(firstMs / 1000).toFixed(1)} s after start, ${fmtBytes(first.get("natwatch_agent_bytes_sent_total")!)} on the wire`, budget: "", ok: null },
        { measure: "capture cost (routine)", value: `${captureCpu.toFixed(2)} s CPU (commands included), ${captureWall.toFixed(2)} s wall`, budget: "", ok: null },
        { measure: "timer interval settled on", value: `${intervalSeconds.toFixed(0)} s (configured default 30 s)`, budget: "", ok: null },
        {
          measure: `average CPU, rule set unchanged for ${Math.round(idleSeconds / 60)} min`,
          value: `${pct(idleShare)} (${idleCaptures} capture${idleCaptures === 1 ? "" : "s"} in the window; long-run ${pct(captureCpu / intervalSeconds)} = cost / interval)`,
          budget: "< 2% of a core",
          ok: idleShare < 0.02,
        },
        {
          measure: "peak RSS (VmHWM)",
          value: `${mb(peakRss)} over the whole run: first capture ${mb(startupPeakRss)}, unchanged window ${mb(idlePeakRss)}, changes and churn ${mb(laterPeakRss)}; ${mb(endRss)} at the end`,
          budget: "< 150 MB",
          ok: peakRss * MIB < 150e6,
        },
        { measure: "bytes sent per unchanged capture", value: unchangedUploads > 0 ? `${(unchangedBytes / unchangedUploads).toFixed(0)} B (gzip'd request bodies, ${unchangedUploads} captures)` : "no unchanged capture in the window", budget: "< 1 KB", ok: unchangedUploads > 0 ? unchangedBytes / unchangedUploads < 1024 : false },
        {
          measure: "rule change → capture arrives at the server",
          value: `${latencies.map((l) => fmtMs(l.arrivalMs)).join(", ")} (median ${fmtMs(median(latencies.map((l) => l.arrivalMs)))}); each minus its capture's duration: at most ${fmtMs(worstSlack)}`,
          budget: "capture duration + < 1 s",
          ok: worstSlack < 1000,
        },
        {
          measure: "rule change → snapshot stored (the server's ingest of the changed 10k-service ruleset included)",
          value: `${latencies.map((l) => fmtMs(l.ms)).join(", ")} (median ${fmtMs(median(latencies.map((l) => l.ms)))})`,
          budget: "",
          ok: null,
        },
        { measure: `CPU under churn (a rule change every second for ${Math.round(churnSeconds)} s)`, value: `${pct(churnShare)}: ${churnCaptures} captures for ${churnChanges} change bursts`, budget: "bounded (≈10% of a core)", ok: null },
      ];
      return {
        title,
        rows,
        notes: [
          `The real agent as the DaemonSet runs it (\`node ${COLLECTOR_BUNDLES.agent.nodeFlags.join(" ")} dist/collectors/agent.mjs\`, the bundle of \`npm run build:collectors\`) as a child process with \`--exec-prefix "ip netns exec NS"\` against the real app (next dev, SQLite), default interval and debounce.`,
          "CPU: /proc/PID/stat utime+stime+cutime+cstime of the agent plus its live children (`nft monitor`); the window starts after the first routine capture. The timer waits capture CPU cost / 1.5%, so the long-run share is cost / interval plus the idle agent.",
          "Rule change: one `iptables-restore --noflush` adding an endpoint chain; timed from its commit to the moment the last byte of the first upload of a capture read after it reached a pass-through probe in front of the app (bench/measure/arrival-probe.ts), and to the new snapshot row in the server's database.",
          `Churn: changes capture at once while a token bucket of CPU seconds (refilled at 10% of a core) has room, then wait for it. Agent exit code after SIGTERM: ${exitCode}.`,
        ],
      };
    } finally {
      if (agent) await agent.stop();
      await probe?.close();
      await app.stop();
      await db.$disconnect();
      await rm(scratch, { recursive: true, force: true });
    }
  });
}
