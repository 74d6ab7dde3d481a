/**
 * The dashboard's URL state. Every view is a URL: the cluster, the time range and the refresh period live in the
 * query string, so a link pasted into a ticket opens the same picture.
 *
 * `range` is one of the presets (15m, 1h, 24h, 7d, measured back from now) or `custom` with `from` and `to` (any
 * form the read API's time parameters accept). Anything unreadable falls back to the default rather than failing
 * the page: a stale bookmark should still open.
 */
import { parseDuration, parseTimeParam, type TimeRange } from "@/lib/server/queries/time-param";

export const RANGE_PRESETS = ["15m", "1h", "24h", "7d"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const DEFAULT_RANGE: RangePreset = "1h";

/** Auto-refresh periods offered, in seconds; 0 is off. */
export const REFRESH_PERIODS = [0, 10, 30, 60] as const;

export type SearchParams = Record<string, string | string[] | undefined>;

export interface ViewRange extends TimeRange {
  /** The preset, or `custom` when the URL names both ends. */
  key: RangePreset | "custom";
}

export interface ViewParams {
  cluster: string | undefined;
  range: ViewRange;
  /** Auto-refresh period in seconds; 0 when off. */
  refresh: number;
}

/** The first value of a query parameter. */
export function param(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

export function readViewParams(params: SearchParams, now: Date = new Date()): ViewParams {
  return {
    cluster: param(params, "cluster") || undefined,
    range: readRange(params, now),
    refresh: readRefresh(param(params, "refresh")),
  };
}

function readRange(params: SearchParams, now: Date): ViewRange {
  const key = param(params, "range");
  if (key === "custom") {
    const from = parseTimeParam(param(params, "from") ?? "", now);
    const to = parseTimeParam(param(params, "to") ?? "now", now);
    if (from && to && from.getTime() <= to.getTime()) return { key: "custom", from, to };
  }
  const preset = (RANGE_PRESETS as readonly string[]).includes(key ?? "") ? (key as RangePreset) : DEFAULT_RANGE;
  const width = parseDuration(preset) as number;
  return { key: preset, from: new Date(now.getTime() - width), to: new Date(now.getTime()) };
}

function readRefresh(text: string | undefined): number {
  const seconds = Number(text);
  return (REFRESH_PERIODS as readonly number[]).includes(seconds) ? seconds : 0;
}

/**
 * A dashboard link: `path` with the given query parameters, dropping empty ones. Views pass the parameters they
 * keep (cluster, range, …) so navigation does not lose the user's context.
 */
export function viewHref(path: string, query: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/** The query parameters that carry the user's context from one view to the next. */
export function contextQuery(view: ViewParams): Record<string, string | undefined> {
  const custom = view.range.key === "custom";
  return {
    cluster: view.cluster,
    range: view.range.key === DEFAULT_RANGE ? undefined : view.range.key,
    from: custom ? view.range.from.toISOString() : undefined,
    to: custom ? view.range.to.toISOString() : undefined,
    refresh: view.refresh ? String(view.refresh) : undefined,
  };
}
