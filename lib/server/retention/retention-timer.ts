import { getDb } from "../db";
import { getEnv } from "../env";
import { pruneHistory } from "./prune-history";

/**
 * Prunes every `intervalMs`, first after one interval (a restart loop must not prune in a loop). Failures are logged
 * and retried at the next tick; the timer never keeps the process alive.
 */
export function startRetentionTimer(intervalMs: number): void {
  const timer = setInterval(async () => {
    try {
      const result = await pruneHistory(await getDb(), getEnv().retentionDays);
      console.log(JSON.stringify({ msg: "retention", ...result }));
    } catch (error) {
      console.error(JSON.stringify({ msg: "retention failed", error: String(error) }));
    }
  }, intervalMs);
  timer.unref();
}
