/** Structured logs: one JSON object per line, `{"time","level","msg",…}`, the shape node log collectors parse. */

export interface LogEntry {
  level: "info" | "warn" | "error";
  msg: string;
  cause?: string;
  [field: string]: unknown;
}

export type Logger = (entry: LogEntry) => void;

/** A logger writing JSON lines to `write` (stderr by default). */
export function jsonLineLogger(write: (line: string) => void = (line) => void process.stderr.write(line), now: () => Date = () => new Date()): Logger {
  return (entry) => write(`${JSON.stringify({ time: now().toISOString(), ...entry })}\n`);
}
