/**
 * Time parameters of the read API and the dashboard: an instant written as ISO-8601 (`2026-01-05T10:00:00Z`), as a
 * duration back from now (`15m`, `1h`, `24h`, `7d`, `90s`, `2w`), or `now`.
 *
 * Relative times are resolved against one `now` per request, so `from=1h&to=now` is exactly one hour wide whatever
 * the time spent between parsing the two.
 */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const RELATIVE = /^(\d{1,6})(s|m|h|d|w)$/;

// ISO-8601 as JavaScript's Date reads it unambiguously: a date, optionally a time with an offset or Z. A time without
// an offset would be read in the server's local zone, which differs between machines, so it is refused.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** A duration such as `15m` in milliseconds, or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const match = RELATIVE.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/**
 * The instant `text` names (see the module comment), or null when it names none. A bare date (`2026-01-05`) is
 * midnight UTC, as `Date` reads it.
 */
export function parseTimeParam(text: string, now: Date): Date | null {
  const value = text.trim();
  if (value === "now") return new Date(now.getTime());
  const back = parseDuration(value);
  if (back !== null) return new Date(now.getTime() - back);
  if (!ISO_INSTANT.test(value)) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** A time range [from, to], both inclusive. */
export interface TimeRange {
  from: Date;
  to: Date;
}
