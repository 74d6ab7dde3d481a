/** How the dashboard writes numbers; shared by the views and their browser tests so both read the same text. */

/** A delay: `0 s`, `4.0 s`, `3 min 12 s`, `2 h 5 min`. */
export function formatDelay(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return seconds === 0 ? "0 s" : `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ""}`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

/** A share of connections as a percentage with one decimal: `33.3 %`. */
export function formatShare(share: number | null): string {
  return share === null ? "—" : `${(share * 100).toFixed(1)} %`;
}

/** A UTC time of day with seconds, as captures are stamped: `12:46:18 UTC`. */
export function formatClock(at: Date): string {
  return `${at.toISOString().slice(11, 19)} UTC`;
}

/** A moment with its date, to the minute: `2026-11-26 12:46 UTC`. */
export function formatMoment(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
