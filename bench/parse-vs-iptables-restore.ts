/**
 * The kernel-side peers of natwatch's parser in the benchmark: how long iptables itself takes to parse a kube-proxy
 * dump (`iptables-restore --test`), to load it for real, and to print it back with counters (`iptables-save -c`,
 * what a node agent runs on every capture). Everything happens in a throwaway network namespace.
 *
 * Run directly to measure the 10k-service dump: `node --import tsx bench/parse-vs-iptables-restore.ts`.
 */
import { pathToFileURL } from "node:url";
import { execInNetns, removeLeftovers, withNetns, type ExecResult } from "../lab/netns/netns";
import { ensureNfacctCounters, nfacctNamesIn } from "../lab/netns/nfacct";
import { generateKubeProxyDump } from "./generate-nat-dump";

export interface TimingOptions {
  /** Timed repetitions; the best is reported (default 3). */
  runs?: number;
  /** Address family of the dump: `iptables-*` or `ip6tables-*` (default ipv4). */
  family?: "ipv4" | "ipv6";
}

export interface RestoreTestTiming {
  /** Best wall time of `iptables-restore --test` over the runs, in milliseconds. */
  ms: number;
  runsMs: number[];
}

export interface SaveTiming {
  /** Wall time of loading the dump for real (`iptables-restore`), once. */
  restoreMs: number;
  /** Best wall time of `iptables-save -c -t nat` over the runs. */
  ms: number;
  runsMs: number[];
  /** What the kernel printed back: size and line count of the last save. */
  saveBytes: number;
  saveLines: number;
  /** The last `iptables-save -c -t nat` output, for parsing benchmarks on real kernel output. */
  saveText: string;
}

const NETNS_PREFIX = "bench";

function tool(name: "restore" | "save", family: TimingOptions["family"]): string {
  return `${family === "ipv6" ? "ip6tables" : "iptables"}-${name}`;
}

async function timed(run: () => Promise<ExecResult>, what: string): Promise<{ ms: number; result: ExecResult }> {
  const start = process.hrtime.bigint();
  const result = await run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${result.stderr.trim().slice(0, 500)}`);
  return { ms, result };
}

/**
 * Best-of-N time for iptables to parse `dumpText` without committing it (`iptables-restore --test`). With the
 * nf_tables backend this parses every rule and option but does not check that jump targets exist.
 */
export async function measureIptablesRestoreTest(dumpText: string, options: TimingOptions = {}): Promise<RestoreTestTiming> {
  await removeLeftovers(NETNS_PREFIX);
  return withNetns(NETNS_PREFIX, async (ns) => {
    const runsMs: number[] = [];
    for (let i = 0; i < (options.runs ?? 3); i++) {
      const { ms } = await timed(
        () => execInNetns(ns, tool("restore", options.family), ["--test"], { input: dumpText }),
        "iptables-restore --test",
      );
      runsMs.push(ms);
    }
    return { ms: Math.min(...runsMs), runsMs };
  });
}

/** Loads `dumpText` into a throwaway namespace for real, then times `iptables-save -c -t nat` (best of N). */
export async function measureIptablesSaveCounters(dumpText: string, options: TimingOptions = {}): Promise<SaveTiming> {
  await removeLeftovers(NETNS_PREFIX);
  return withNetns(NETNS_PREFIX, async (ns) => {
    // kube-proxy creates its nfacct objects before restoring; rules naming a missing one are refused.
    const wanted = nfacctNamesIn(dumpText);
    const made = await ensureNfacctCounters(ns, wanted);
    if (made.length < wanted.length) {
      throw new Error(`the dump uses nfacct objects (${wanted.join(", ")}) that could not be created: install the nfacct tool`);
    }
    const restore = await timed(() => execInNetns(ns, tool("restore", options.family), [], { input: dumpText }), "iptables-restore");
    const runsMs: number[] = [];
    let saveText = "";
    for (let i = 0; i < (options.runs ?? 3); i++) {
      const { ms, result } = await timed(() => execInNetns(ns, tool("save", options.family), ["-c", "-t", "nat"]), "iptables-save");
      runsMs.push(ms);
      saveText = result.stdout;
    }
    return {
      restoreMs: restore.ms,
      ms: Math.min(...runsMs),
      runsMs,
      saveBytes: Buffer.byteLength(saveText),
      saveLines: saveText.split("\n").length - 1,
      saveText,
    };
  });
}

async function main(): Promise<void> {
  const services = Number(process.argv[2] ?? 10000);
  const started = Date.now();
  const dump = generateKubeProxyDump({ services, seed: 1 });
  const generateMs = Date.now() - started;
  const lines = dump.split("\n").length - 1;
  console.log(`dump: ${services} services, ${(Buffer.byteLength(dump) / 1e6).toFixed(1)} MB, ${lines} lines (generated in ${generateMs} ms)`);
  const test = await measureIptablesRestoreTest(dump);
  console.log(`iptables-restore --test: best ${test.ms.toFixed(0)} ms (${test.runsMs.map((m) => m.toFixed(0)).join(", ")})`);
  const save = await measureIptablesSaveCounters(dump);
  console.log(`iptables-restore: ${save.restoreMs.toFixed(0)} ms`);
  console.log(`iptables-save -c -t nat: best ${save.ms.toFixed(0)} ms (${save.runsMs.map((m) => m.toFixed(0)).join(", ")}), ${(save.saveBytes / 1e6).toFixed(1)} MB, ${save.saveLines} lines`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
