import { describe, expect, it } from "vitest";
import { contextQuery, readViewParams, viewHref } from "./view-params";

const now = new Date("2026-03-01T12:00:00Z");

describe("readViewParams", () => {
  it("reads a preset range back from now", () => {
    const view = readViewParams({ cluster: "kind", range: "15m" }, now);
    expect(view.cluster).toBe("kind");
    expect(view.range.key).toBe("15m");
    expect(view.range.from.toISOString()).toBe("2026-03-01T11:45:00.000Z");
    expect(view.range.to.toISOString()).toBe(now.toISOString());
  });

  it("reads a custom range with both ends", () => {
    const view = readViewParams({ range: "custom", from: "2026-02-28T00:00:00Z", to: "2026-02-28T06:00:00Z" }, now);
    expect(view.range).toEqual({ key: "custom", from: new Date("2026-02-28T00:00:00Z"), to: new Date("2026-02-28T06:00:00Z") });
  });

  it("falls back to the default range on unreadable or inverted input", () => {
    expect(readViewParams({ range: "3 fortnights" }, now).range.key).toBe("1h");
    expect(readViewParams({ range: "custom", from: "2026-02-28T06:00:00Z", to: "2026-02-28T00:00:00Z" }, now).range.key).toBe("1h");
    expect(readViewParams({ range: "custom", from: "yesterday" }, now).range.key).toBe("1h");
  });

  it("takes the first of repeated parameters and only offered refresh periods", () => {
    expect(readViewParams({ cluster: ["a", "b"], refresh: "30" }, now)).toMatchObject({ cluster: "a", refresh: 30 });
    expect(readViewParams({ refresh: "7" }, now).refresh).toBe(0);
  });
});

describe("viewHref and contextQuery", () => {
  it("keeps the context and drops defaults and empty values", () => {
    const view = readViewParams({ cluster: "kind", range: "24h", refresh: "10" }, now);
    expect(viewHref("/services", { ...contextQuery(view), q: "" })).toBe("/services?cluster=kind&range=24h&refresh=10");
    expect(viewHref("/services", contextQuery(readViewParams({}, now)))).toBe("/services");
  });

  it("writes a custom range as absolute instants", () => {
    const view = readViewParams({ range: "custom", from: "2h", to: "1h" }, now);
    expect(viewHref("/", contextQuery(view))).toBe(
      "/?range=custom&from=2026-03-01T10%3A00%3A00.000Z&to=2026-03-01T11%3A00%3A00.000Z",
    );
  });
});
