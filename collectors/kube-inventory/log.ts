/** Structured logs: one JSON object per line, the shape log collectors in a cluster (Fluent Bit, Vector) parse as is. */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A logger writing `{ time, level, msg, ...fields }` lines. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** A logger writing to `write` (stdout by default). */
export function createJsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (level, msg, fields = {}) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, component: "kube-inventory", ...fields })}\n`);
  };
}
