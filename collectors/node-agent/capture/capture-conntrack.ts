/**
 * Conntrack state of the node: entry count and limit, per-CPU statistics and the live DNAT'd flows aggregated per
 * (service address, endpoint, state). `conntrack -L` is streamed through the aggregator line by line, so the raw
 * table (up to nf_conntrack_max entries, a million on a busy node) is never held in memory nor sent.
 */
import { createFlowAggregator } from "../../../lib/conntrack/aggregate-flows";
import { parseConntrackStats, parseProcConntrackStats } from "../../../lib/conntrack/parse-stats";
import type { ConntrackSample } from "../../../lib/contracts/capture";
import type { CommandRunner } from "./run-command";

/** A problem met while sampling; the sample is still usable without the part that failed. */
export interface CaptureProblem {
  msg: string;
  cause: string;
}

/** The wire contract bounds flows; an aggregate beyond it keeps the busiest ones. */
const MAX_FLOWS = 10_000;

/**
 * Samples conntrack. The proc files are read through the prefix (`cat`), because /proc/sys/net/netfilter shows the
 * values of the reader's network namespace. Returns null when not even the count can be read (no conntrack module).
 */
export async function captureConntrack(runner: CommandRunner): Promise<{ sample: ConntrackSample | null; problems: CaptureProblem[] }> {
  const problems: CaptureProblem[] = [];
  const count = (await readNumber(runner, "conntrack", ["-C"])) ?? (await readNumber(runner, "cat", ["/proc/sys/net/netfilter/nf_conntrack_count"]));
  const max = await readNumber(runner, "cat", ["/proc/sys/net/netfilter/nf_conntrack_max"]);
  if (count === null || max === null) {
    problems.push({ msg: "conntrack count or max unreadable", cause: "conntrack -C and /proc/sys/net/netfilter/nf_conntrack_{count,max} failed" });
    return { sample: null, problems };
  }

  let cpus: ConntrackSample["cpus"] = [];
  const stats = await runner.run("conntrack", ["-S"]);
  const parsedStats = stats.code === 0 ? parseConntrackStats(stats.stdout) : null;
  if (parsedStats?.ok) cpus = parsedStats.cpus;
  else {
    const proc = await runner.run("cat", ["/proc/net/stat/nf_conntrack"]);
    const parsedProc = proc.code === 0 ? parseProcConntrackStats(proc.stdout) : null;
    if (parsedProc?.ok) cpus = parsedProc.cpus;
    else problems.push({ msg: "conntrack per-CPU statistics unreadable", cause: (stats.stderr || proc.stderr).trim() });
  }

  const aggregator = createFlowAggregator({ maxKeys: MAX_FLOWS });
  let badLines = 0;
  const listed = await runner.streamLines("conntrack", ["-L"], (line) => {
    if (aggregator.add(line)) badLines++;
  });
  // conntrack -L prints its summary ("… flow entries have been shown.") on stderr and exits 0.
  if (listed.code !== 0) problems.push({ msg: `conntrack -L failed (exit ${listed.code})`, cause: listed.stderr.trim() });
  if (badLines > 0) problems.push({ msg: "conntrack -L lines not understood", cause: `${badLines} lines` });
  const flows = aggregator.flows().slice(0, MAX_FLOWS);
  return { sample: { count, max, cpus, flows }, problems };
}

async function readNumber(runner: CommandRunner, cmd: string, args: readonly string[]): Promise<number | null> {
  const result = await runner.run(cmd, args);
  const value = Number(result.stdout.trim());
  return result.code === 0 && result.stdout.trim() !== "" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}
