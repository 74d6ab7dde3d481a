/**
 * Splits restore input into what kube-proxy's own tests compare (`assertIPTablesRulesEqual` after
 * `sortIPTablesRules`): per table, the set of declared chains, each chain's rules in order, and the `-X` deletions.
 * The order of chain declarations and of rules across chains is not significant to iptables-restore, so two inputs
 * are equivalent when these sections are equal.
 *
 * This is a line splitter for kube-proxy-shaped text (the renderer's output and the corpus), not a parser: rule text
 * is kept verbatim after `-A CHAIN `.
 */

export interface TableSections {
  declared: Set<string>;
  /** Rules by chain, in input order, without the `-A CHAIN ` prefix. */
  rules: Map<string, string[]>;
  /** Chains deleted with `-X`, sorted. */
  deleted: string[];
}

/** Sections by table name (`filter`, `nat`). */
export function restoreSections(text: string): Map<string, TableSections> {
  const tables = new Map<string, TableSections>();
  let current: TableSections | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("#") || line === "COMMIT") continue;
    if (line.startsWith("*")) {
      current = { declared: new Set(), rules: new Map(), deleted: [] };
      tables.set(line.slice(1), current);
      continue;
    }
    if (!current) throw new Error(`line outside a table: ${line}`);
    if (line.startsWith(":")) {
      current.declared.add(line.slice(1).split(" ")[0] ?? "");
    } else if (line.startsWith("-X ")) {
      current.deleted.push(line.slice(3).trim());
    } else if (line.startsWith("-A ")) {
      const space = line.indexOf(" ", 3);
      const chain = space < 0 ? line.slice(3) : line.slice(3, space);
      const rule = space < 0 ? "" : line.slice(space + 1);
      const list = current.rules.get(chain) ?? [];
      list.push(rule);
      current.rules.set(chain, list);
    } else {
      throw new Error(`unexpected restore line: ${line}`);
    }
  }
  for (const t of tables.values()) t.deleted.sort();
  return tables;
}

/** A stable, order-insensitive text of the sections, for readable test diffs. */
export function canonicalRestoreText(text: string): string {
  const out: string[] = [];
  for (const [name, t] of [...restoreSections(text)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`*${name}`);
    for (const chain of [...t.declared].sort()) out.push(`:${chain}`);
    for (const chain of [...t.rules.keys()].sort()) for (const rule of t.rules.get(chain) ?? []) out.push(`-A ${chain} ${rule}`);
    for (const chain of t.deleted) out.push(`-X ${chain}`);
  }
  return out.join("\n");
}
