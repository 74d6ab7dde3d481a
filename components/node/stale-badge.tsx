/** A node's agent is stale when it has not reported for this long (agents capture every 30 s by default). */
export const STALE_AFTER_MS = 5 * 60_000;

export function isStale(lastCaptureAt: Date, now: Date): boolean {
  return now.getTime() - lastCaptureAt.getTime() > STALE_AFTER_MS;
}

/** Says "stale" in words, not only in colour, so it reads in any contrast mode and to a screen reader. */
export function StaleBadge() {
  return (
    <span
      title={`no capture for more than ${STALE_AFTER_MS / 60_000} minutes`}
      className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900/60 dark:text-amber-100"
    >
      stale
    </span>
  );
}
