import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { Command } from "../command";
import { CliFailure, say } from "../io";
import { withDb } from "../with-db";
import { getEnv } from "../../lib/server/env";

const USAGE = [
  "usage: natwatch replay DIR [--end TIME] [--scenario-out FILE]",
  "",
  "Stores a lab recording (DIR/ingest.ndjson[.gz], made with `npm run lab -- --record DIR`) in the database of",
  "DATABASE_URL through the same ingest as the API, moved in time so that it ends at TIME (default: now).",
  "Requests the recorded server refused are left out. Replaying a recording the database already holds stores",
  "nothing and keeps its times. --scenario-out writes DIR/scenario.json with its times moved the same way.",
].join("\n");

/** `natwatch replay DIR`: a recorded lab run into the database (lab/recording/replay.ts). */
export const replayCommand: Command = {
  name: "replay",
  usage: "replay DIR [--end TIME]",
  summary: "store a lab recording in the database (DATABASE_URL), moved to end now",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { end: { type: "string" }, "scenario-out": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help) {
      say(USAGE);
      return 0;
    }
    const [dir, ...rest] = positionals;
    if (!dir || rest.length) throw new CliFailure(`expected one recording directory\n${USAGE}`);
    const end = values.end === undefined ? new Date() : new Date(values.end);
    if (Number.isNaN(end.getTime())) throw new CliFailure(`--end ${values.end}: not a time (use ISO 8601, e.g. 2026-11-27T12:00:00Z)`);

    const { hasRecording, readRecording } = await import("../../lab/recording/recording-format");
    if (!(await hasRecording(dir))) throw new CliFailure(`${dir}: no recording (ingest.ndjson or ingest.ndjson.gz)`);
    const recording = await readRecording(dir);
    const { replayRecording } = await import("../../lab/recording/replay");
    const result = await withDb((db) => replayRecording(db, recording, { retentionDays: getEnv().retentionDays, end }));
    if (values["scenario-out"] && result.scenario !== null) await writeFile(values["scenario-out"], `${JSON.stringify(result.scenario, null, 2)}\n`);
    say(
      `${result.alreadyPresent ? "already present; " : ""}cluster ${result.clusters.join(", ") || "-"}: ` +
        `${result.captures.stored} captures stored (${result.captures.duplicates} already there), ` +
        `${result.kubeEvents.stored} kube events stored (${result.kubeEvents.duplicates} already there), ` +
        `${result.skipped} refused requests left out; times moved by ${(result.shiftMs / 1000).toFixed(0)} s`,
    );
    return 0;
  },
};
