/**
 * Runs natwatch's parse + model over one file in a process of its own, so the peak RSS it reports belongs to that
 * work alone. Parses as `readProxyModel` does (MODEL_PARSE_OPTIONS), timing the two steps apart.
 * Prints one JSON line: { runsMs, parseMs, modelMs, cpuMs, maxRssMb, servicePorts, endpoints, lines }; `cpuMs` is the
 * process's CPU time per run (GC threads included), steadier than wall time on a shared machine.
 * Usage: node --import tsx bench/measure/parse-model-child.ts FILE [RUNS]
 */
import { readFileSync } from "node:fs";
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import { buildProxyModel } from "../../lib/kube-proxy/build-service-model";
import { MODEL_PARSE_OPTIONS } from "../../lib/kube-proxy/read-proxy-model";

const [file, runsArg] = process.argv.slice(2);
const text = readFileSync(file!, "utf8");
const runs = Number(runsArg ?? 5);
const runsMs: number[] = [];
const parseMs: number[] = [];
const modelMs: number[] = [];
const cpuMs: number[] = [];
let servicePorts = 0;
let endpoints = 0;
for (let i = 0; i < runs; i++) {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const parsed = parseIptablesSave(text, MODEL_PARSE_OPTIONS);
  const t1 = performance.now();
  if (!parsed.ok) throw new Error(`bench dump does not parse: ${JSON.stringify(parsed.error)}`);
  const model = buildProxyModel(parsed.dump);
  const t2 = performance.now();
  const used = process.cpuUsage(cpu);
  parseMs.push(t1 - t0);
  modelMs.push(t2 - t1);
  runsMs.push(t2 - t0);
  cpuMs.push((used.user + used.system) / 1000);
  servicePorts = model.servicePorts.length;
  endpoints = model.servicePorts.reduce((n, p) => n + p.endpoints.length, 0);
}
const lines = text.split("\n").length;
process.stdout.write(
  `${JSON.stringify({ runsMs, parseMs, modelMs, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, servicePorts, endpoints, lines })}\n`,
);
