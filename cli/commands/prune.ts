import { parseArgs } from "node:util";
import type { Command } from "../command";
import { CliFailure, say } from "../io";
import { withDb } from "../with-db";
import { getEnv } from "../../lib/server/env";

/** `natwatch prune [--days N]`: applies the retention window now (the app also does it every hour). */
export const pruneCommand: Command = {
  name: "prune",
  usage: "prune [--days N]",
  summary: "delete history older than N days (default NATWATCH_RETENTION_DAYS), keeping each node's last rules",
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { days: { type: "string" }, help: { type: "boolean", short: "h" } } });
    if (values.help) {
      say("usage: natwatch prune [--days N]\n\nDeletes history older than N days from the database of DATABASE_URL.");
      return 0;
    }
    const days = values.days === undefined ? getEnv().retentionDays : Number(values.days);
    if (!Number.isInteger(days) || days < 1) throw new CliFailure(`--days ${values.days}: must be a whole number of days, at least 1`);
    const { pruneHistory } = await import("../../lib/server/retention/prune-history");
    const result = await withDb((db) => pruneHistory(db, days));
    const { cutoff, ...counts } = result;
    say(`pruned history before ${cutoff.toISOString()}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}`);
    return 0;
  },
};
