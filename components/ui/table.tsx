import type { ReactNode } from "react";

/** A column of a data table: its header and how to render a row's cell. */
export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  /** Right-align numbers. */
  numeric?: boolean;
}

/** A plain, accessible data table; list views are just column definitions over it. */
export function Table<Row>({ caption, columns, rows, rowKey, empty }: {
  caption: string;
  columns: Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  empty: string;
}) {
  return (
    <table className="w-full border-collapse text-sm">
      <caption className="mb-2 text-left text-base font-semibold">{caption}</caption>
      <thead>
        <tr className="border-b border-zinc-300 dark:border-zinc-700">
          {columns.map((c) => (
            <th key={c.header} scope="col" className={`px-2 py-1 font-medium text-zinc-600 dark:text-zinc-400 ${c.numeric ? "text-right" : "text-left"}`}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={columns.length} className="px-2 py-3 text-zinc-500">{empty}</td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={rowKey(row)} className="border-b border-zinc-100 align-top dark:border-zinc-800">
              {columns.map((c) => (
                <td key={c.header} className={`px-2 py-1 ${c.numeric ? "text-right tabular-nums" : ""}`}>{c.cell(row)}</td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
