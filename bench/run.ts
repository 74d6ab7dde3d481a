/**
 * `npm run bench`: the measurements behind DESIGN.md's budgets, written to bench/RESULTS.md with the machine
 * they ran on. A report, not a test: figures are compared with a peer measured in the same run where one exists,
 * because these machines are shared and their absolute speed varies.
 * Usage: npm run bench [-- SECTION …]   (sections: parse, diff; default all)
 */
import { cpus, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSection, type BenchSection } from "./report";
import { parseModelSection } from "./sections/parse-model";
import { diffSection } from "./sections/diff";

const outDir = join(import.meta.dirname, "out");
const isRoot = process.getuid?.() === 0;

const sections: Record<string, () => Promise<BenchSection> | BenchSection> = {
  parse: () => parseModelSection(outDir, isRoot),
  diff: () => diffSection(),
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const names = wanted.length ? wanted : Object.keys(sections);
const results: BenchSection[] = [];
for (const name of names) {
  const section = sections[name];
  if (!section) throw new Error(`unknown bench section '${name}' (have: ${Object.keys(sections).join(", ")})`);
  process.stderr.write(`bench: ${name}…\n`);
  const result = await section();
  process.stdout.write(`${renderSection(result)}\n`);
  results.push(result);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const report = [
  "# Benchmark results",
  "",
  `Run ${new Date().toISOString()} on ${machine}${isRoot ? "" : " (not root: kernel peers skipped)"}.`,
  `Sections: ${names.join(", ")}. Regenerate with \`npm run bench\`.`,
  "",
  ...results.map(renderSection),
].join("\n");
writeFileSync(join(import.meta.dirname, "RESULTS.md"), report);
