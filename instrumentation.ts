/**
 * Runs once when the natwatch server starts: applies the retention window hourly in the background, so history
 * older than NATWATCH_RETENTION_DAYS goes away without a separate job. (`natwatch prune` does the same on demand.)
 */
const HOUR_MS = 3_600_000;

export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startRetentionTimer } = await import("./lib/server/retention/retention-timer");
  startRetentionTimer(HOUR_MS);
}
