/**
 * Runs natwatch's parse + model over one file in a process of its own, so the peak RSS it reports belongs to that
 * work alone. Parses as `readProxyModel` does (MODEL_PARSE_OPTIONS), timing the two steps apart.
 *
 * Each run starts from a collected heap, as a single capture would: without it, the previous runs' dumps and models
 * (~70 MB each) linger until V8 decides on a full collection, and the peak RSS reported is that of several runs at
 * once (540 MB for five, against 230 MB for one). `singleRunRssMb` is the peak after the first run alone.
 *
 * Prints one JSON line: { runsMs, parseMs, modelMs, cpuMs, maxRssMb, singleRunRssMb, servicePorts, endpoints, lines };
 * `cpuMs` is the process's CPU time per run (GC threads included), steadier than wall time on a shared machine.
 * Usage: node --import tsx bench/measure/parse-model-child.ts FILE [RUNS]
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import { buildProxyModel } from "../../lib/kube-proxy/build-service-model";
import { MODEL_PARSE_OPTIONS } from "../../lib/kube-proxy/read-proxy-model";

// The documented way to reach V8's collector without a command-line flag: expose it, then take it from a new context.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const [file, runsArg] = process.argv.slice(2);
const text = readFileSync(file!, "utf8");
const runs = Number(runsArg ?? 5);
const runsMs: number[] = [];
const parseMs: number[] = [];
const modelMs: number[] = [];
const cpuMs: number[] = [];
let servicePorts = 0;
let endpoints = 0;
let singleRunRssMb = 0;
/**
 * One run, in a function of its own: its dump and model are then unreachable once it returns. Held in the loop's own
 * variables, the previous run's ~55 MB would stay alive through the next run (the interpreter keeps the last values
 * of a loop body's locals), and that run would pay for marking them.
 */
function measureOnce(): { parse: number; model: number; cpu: number; servicePorts: number; endpoints: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const parsed = parseIptablesSave(text, MODEL_PARSE_OPTIONS);
  const t1 = performance.now();
  if (!parsed.ok) throw new Error(`bench dump does not parse: ${JSON.stringify(parsed.error)}`);
  const model = buildProxyModel(parsed.dump);
  const t2 = performance.now();
  const used = process.cpuUsage(cpu);
  return {
    parse: t1 - t0,
    model: t2 - t1,
    cpu: (used.user + used.system) / 1000,
    servicePorts: model.servicePorts.length,
    endpoints: model.servicePorts.reduce((n, p) => n + p.endpoints.length, 0),
  };
}

for (let i = 0; i < runs; i++) {
  collectGarbage();
  const run = measureOnce();
  parseMs.push(run.parse);
  modelMs.push(run.model);
  runsMs.push(run.parse + run.model);
  cpuMs.push(run.cpu);
  servicePorts = run.servicePorts;
  endpoints = run.endpoints;
  if (i === 0) singleRunRssMb = process.resourceUsage().maxRSS / 1024;
}
const lines = text.split("\n").length;
process.stdout.write(
  `${JSON.stringify({ runsMs, parseMs, modelMs, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, singleRunRssMb, servicePorts, endpoints, lines })}\n`,
);
