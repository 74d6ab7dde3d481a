import { Table, type Column } from "@/components/ui/table";
import type { CpuConntrackCounters } from "@/lib/server/queries/get-latest-conntrack";

const COLUMNS: Column<CpuConntrackCounters>[] = [
  { header: "cpu", numeric: true, cell: (c) => c.cpu },
  ...(
    [
      ["found", "found"],
      ["invalid", "invalid"],
      ["insert", "insert"],
      ["insert_failed", "insertFailed"],
      ["drop", "drop"],
      ["early_drop", "earlyDrop"],
      ["error", "error"],
      ["search_restart", "searchRestart"],
    ] as const
  ).map(([header, key]): Column<CpuConntrackCounters> => ({ header, numeric: true, cell: (c) => c[key].toLocaleString("en") })),
];

/** `conntrack -S` as the node printed it at its latest capture: one row per CPU, counters since boot. */
export function PerCpuTable({ cpus, caption }: { cpus: readonly CpuConntrackCounters[]; caption: string }) {
  return <Table caption={caption} columns={COLUMNS} rows={cpus} rowKey={(c) => String(c.cpu)} empty="The node sent totals only, no per-CPU lines." />;
}
