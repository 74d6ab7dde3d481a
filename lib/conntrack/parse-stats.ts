import type { ConntrackCpuStats, ConntrackParseError } from "./types";

/** The counters natwatch keeps; the kernel prints more (clash_resolve, chaintoolong…), which are ignored. */
const KEPT_FIELDS = ["found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart"] as const;
type KeptField = (typeof KEPT_FIELDS)[number];
const isKept = (name: string): name is KeptField => (KEPT_FIELDS as readonly string[]).includes(name);

export type StatsResult = { ok: true; cpus: ConntrackCpuStats[] } | { ok: false; error: ConntrackParseError };

/**
 * Parses `conntrack -S`: one line per CPU, `cpu=0 found=0 invalid=12 insert=0 insert_failed=0 drop=0 …`.
 */
export function parseConntrackStats(text: string): StatsResult {
  const cpus: ConntrackCpuStats[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const stats: ConntrackCpuStats = { cpu: -1 };
    for (const field of line.split(/\s+/)) {
      const eq = field.indexOf("=");
      const value = eq > 0 ? Number(field.slice(eq + 1)) : NaN;
      if (!Number.isSafeInteger(value) || value < 0) {
        return { ok: false, error: { kind: "conntrack-parse-error", reason: `not a name=number field: ${field}`, line: i + 1, text: line } };
      }
      const name = field.slice(0, eq);
      if (name === "cpu") stats.cpu = value;
      else if (isKept(name)) stats[name] = value;
    }
    if (stats.cpu < 0) return { ok: false, error: { kind: "conntrack-parse-error", reason: "no cpu= field", line: i + 1, text: line } };
    cpus.push(stats);
  }
  return { ok: true, cpus };
}

/**
 * Parses /proc/net/stat/nf_conntrack, the fallback where the conntrack tool is missing: a header naming the
 * columns, then one row of hexadecimal counters per possible CPU (offline CPUs included, in order).
 * The first column, `entries`, is the global count repeated on every row, not a per-CPU figure.
 */
export function parseProcConntrackStats(text: string): StatsResult {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0]?.trim().split(/\s+/);
  if (!header || header[0] !== "entries") {
    return { ok: false, error: { kind: "conntrack-parse-error", reason: "missing the 'entries' header", line: 1, text: lines[0] ?? "" } };
  }
  const cpus: ConntrackCpuStats[] = [];
  for (let row = 1; row < lines.length; row++) {
    const values = lines[row]!.trim().split(/\s+/);
    if (values.length !== header.length || values.some((v) => !/^[0-9a-f]+$/i.test(v))) {
      return { ok: false, error: { kind: "conntrack-parse-error", reason: `expected ${header.length} hex columns`, line: row + 1, text: lines[row]! } };
    }
    const stats: ConntrackCpuStats = { cpu: row - 1 };
    header.forEach((name, column) => {
      // The proc file names the insert-error counter `icmp_error` and the general one `error` is absent;
      // only the columns both sources share are kept.
      if (isKept(name)) stats[name] = parseInt(values[column]!, 16);
    });
    cpus.push(stats);
  }
  return { ok: true, cpus };
}
