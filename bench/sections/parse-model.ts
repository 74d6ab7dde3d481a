/**
 * DESIGN.md budget: parse + model a 10k-service / ~50k-endpoint nat dump at least 3× faster than
 * `iptables-restore --test` parses the same file, in the same run; peak RSS under 500 MB.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKubeProxyDump } from "../generate-nat-dump";
import { measureIptablesRestoreTest, measureIptablesSaveCounters } from "../parse-vs-iptables-restore";
import type { BenchSection } from "../report";
import { fmtBytes, fmtMs, median } from "../stats";

const run = promisify(execFile);

interface ChildFigures {
  runsMs: number[];
  parseMs: number[];
  modelMs: number[];
  maxRssMb: number;
  servicePorts: number;
  endpoints: number;
  lines: number;
}

async function natwatchParseModel(file: string, runs: number): Promise<ChildFigures> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../measure/parse-model-child.ts"), file, String(runs)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as ChildFigures;
}

export async function parseModelSection(outDir: string, canUseNetns: boolean): Promise<BenchSection> {
  mkdirSync(outDir, { recursive: true });
  const dump = generateKubeProxyDump({ services: 10_000, endpointsPerService: 5 });
  const file = join(outDir, "nat-10k.txt");
  writeFileSync(file, dump);

  const natwatch = await natwatchParseModel(file, 5);
  const bestNatwatch = Math.min(...natwatch.runsMs);
  const section: BenchSection = {
    title: "Parse + model of a 10k-service nat dump",
    rows: [
      { measure: "dump", value: `${fmtBytes(Buffer.byteLength(dump))}, ${natwatch.lines.toLocaleString("en")} lines, ${natwatch.servicePorts} service ports, ${natwatch.endpoints} endpoints`, budget: "", ok: null },
      { measure: "natwatch parse + model (best of 5)", value: `${fmtMs(bestNatwatch)} (median ${fmtMs(median(natwatch.runsMs))}; parse ${fmtMs(median(natwatch.parseMs))}, model ${fmtMs(median(natwatch.modelMs))})`, budget: "", ok: null },
      { measure: "natwatch peak RSS", value: `${natwatch.maxRssMb.toFixed(0)} MB`, budget: "< 500 MB", ok: natwatch.maxRssMb < 500 },
    ],
    notes: [],
  };

  if (!canUseNetns) {
    section.notes.push("`iptables-restore --test` not measured: the bench needs root for a network namespace.");
    return section;
  }
  const restoreTest = await measureIptablesRestoreTest(dump, { runs: 3 });
  const ratio = restoreTest.ms / bestNatwatch;
  section.rows.push(
    { measure: "`iptables-restore --test`, same file (best of 3)", value: fmtMs(restoreTest.ms), budget: "", ok: null },
    { measure: "ratio iptables-restore --test / natwatch", value: `${ratio.toFixed(1)}×`, budget: "≥ 3×", ok: ratio >= 3 },
  );

  // The kernel's own print-out of the same rules, with counters: what an agent really uploads.
  const saved = await measureIptablesSaveCounters(dump, { runs: 1 });
  const savedFile = join(outDir, "nat-10k.iptables-save-c.txt");
  writeFileSync(savedFile, saved.saveText);
  const onSaved = await natwatchParseModel(savedFile, 3);
  section.rows.push(
    { measure: "`iptables-save -c -t nat` of the loaded rules", value: `${fmtMs(saved.ms)} (${fmtBytes(saved.saveBytes)})`, budget: "", ok: null },
    { measure: "natwatch parse + model of that output (best of 3)", value: fmtMs(Math.min(...onSaved.runsMs)), budget: "", ok: null },
  );
  return section;
}
