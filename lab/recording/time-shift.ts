/**
 * Moving a recording in time. A replay makes the recorded history end "now", so every instant a recording carries
 * moves by the same amount: capture times, kube event times, the times inside the Kubernetes objects
 * (creationTimestamp, conditions' lastTransitionTime), and the lab's scenario step times.
 *
 * The shift is a whole number of seconds, so an RFC 3339 time keeps its precision as written: Kubernetes writes
 * seconds (`2024-09-28T00:00:00Z`), the collectors write milliseconds, and a shifted time has the same fraction
 * digits as the original. Times written with an offset come back in UTC (`Z`), the same instant.
 */

/** RFC 3339 date-time: date, time to the second, optional fraction, `Z` or an offset. */
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** The whole-second shift that moves `last` to `end` (rounded down, so the shifted history never ends after `end`). */
export function shiftToEnd(last: Date, end: Date): number {
  return Math.floor((end.getTime() - last.getTime()) / 1000) * 1000;
}

/** `time` moved by `shiftMs` (whole seconds), or null when `time` is not an RFC 3339 date-time. */
export function shiftTimestamp(time: string, shiftMs: number): string | null {
  const match = RFC3339.exec(time);
  if (!match) return null;
  const [, seconds, fraction, zone] = match as unknown as [string, string, string | undefined, string];
  const instant = Date.parse(`${seconds}${zone.toUpperCase()}`);
  if (Number.isNaN(instant)) return null;
  return `${new Date(instant + shiftMs).toISOString().slice(0, 19)}${fraction ?? ""}Z`;
}

/** A copy of the JSON value `value` with every RFC 3339 date-time string in it shifted by `shiftMs`. */
export function shiftTimes<T>(value: T, shiftMs: number): T {
  if (typeof value === "string") return (shiftTimestamp(value, shiftMs) ?? value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => shiftTimes(item, shiftMs)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shiftTimes(item, shiftMs)])) as T;
  }
  return value;
}
