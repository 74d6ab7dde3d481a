/**
 * `npm run bench`: the measurements behind DESIGN.md's budgets, written to bench/RESULTS.md with the machine
 * they ran on. A report, not a test: figures are compared with a peer measured in the same run where one exists,
 * because these machines are shared and their absolute speed varies.
 *
 * Usage: npm run bench [-- SECTION …]   (sections: parse, diff, ingest, agent; default all)
 * Each section's latest result is kept in bench/results/SECTION.md, and RESULTS.md is assembled from all of them,
 * so re-running one section (the ingest fleet takes long) leaves the others' figures in place, each with its date.
 */
import { cpus, totalmem } from "node:os";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSection, type BenchSection } from "./report";
import { parseModelSection } from "./sections/parse-model";
import { diffSection } from "./sections/diff";
import { ingestSection } from "./sections/ingest";
import { dashboardSection } from "./sections/dashboard";
import { nodeAgentSection } from "./sections/node-agent";

const outDir = join(import.meta.dirname, "out");
const resultsDir = join(import.meta.dirname, "results");
const isRoot = process.getuid?.() === 0;

const sections: Record<string, () => Promise<BenchSection> | BenchSection> = {
  parse: () => parseModelSection(outDir, isRoot),
  diff: () => diffSection(),
  ingest: () => ingestSection(),
  dashboard: () => dashboardSection(),
  agent: () => nodeAgentSection(isRoot),
};

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const wanted = process.argv.slice(2).filter((a) => a !== "--");
const names = wanted.length ? wanted : Object.keys(sections);
for (const name of names) {
  if (!sections[name]) throw new Error(`unknown bench section '${name}' (have: ${Object.keys(sections).join(", ")})`);
}
mkdirSync(resultsDir, { recursive: true });
for (const name of names) {
  process.stderr.write(`bench: ${name}…\n`);
  const result = await sections[name]!();
  const stamp = `_Run ${new Date().toISOString()} on ${machine}${isRoot ? "" : " (not root: kernel peers skipped)"}._`;
  const text = renderSection(result).replace(/\n/, `\n\n${stamp}\n`);
  process.stdout.write(`${text}\n`);
  writeFileSync(join(resultsDir, `${name}.md`), text);
}

const report = [
  "# Benchmark results",
  "",
  "Regenerate with `npm run bench` (as root for the kernel peers), or one section with `npm run bench -- NAME`.",
  "",
  ...Object.keys(sections)
    .map((name) => join(resultsDir, `${name}.md`))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, "utf8")),
].join("\n");
writeFileSync(join(import.meta.dirname, "RESULTS.md"), report);
