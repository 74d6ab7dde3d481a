/** The benchmark report: each section adds rows (a measured figure, its budget, a verdict) and notes. */

export interface BenchRow {
  measure: string;
  value: string;
  budget: string;
  /** true within budget, false over it, null where there is no budget (a figure reported for information). */
  ok: boolean | null;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes: string[];
}

export function renderSection(section: BenchSection): string {
  const verdict = (ok: boolean | null) => (ok === null ? "" : ok ? "ok" : "**over budget**");
  return [
    `## ${section.title}`,
    "",
    "| measure | value | budget | |",
    "|---|---|---|---|",
    ...section.rows.map((r) => `| ${r.measure} | ${r.value} | ${r.budget || "—"} | ${verdict(r.ok)} |`),
    "",
    ...section.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}
