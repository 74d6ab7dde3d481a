import { describe, expect, it } from "vitest";
import { shiftTimes, shiftTimestamp, shiftToEnd } from "./time-shift";

const HOUR = 3_600_000;

describe("time shift", () => {
  it("moves a recording's last instant to the end, in whole seconds, never past it", () => {
    const shift = shiftToEnd(new Date("2026-11-27T10:00:00.700Z"), new Date("2026-11-27T12:00:00.200Z"));
    expect(shift).toBe(2 * HOUR - 1000);
    expect(new Date(Date.parse("2026-11-27T10:00:00.700Z") + shift).getTime()).toBeLessThanOrEqual(Date.parse("2026-11-27T12:00:00.200Z"));
  });

  it("keeps each time's precision and gives UTC for offsets", () => {
    expect(shiftTimestamp("2024-09-28T00:00:00Z", HOUR)).toBe("2024-09-28T01:00:00Z");
    expect(shiftTimestamp("2026-11-27T10:00:00.123Z", -HOUR)).toBe("2026-11-27T09:00:00.123Z");
    expect(shiftTimestamp("2026-11-27T10:00:00.123456Z", 1000)).toBe("2026-11-27T10:00:01.123456Z");
    expect(shiftTimestamp("2024-09-28T09:00:00+09:00", 0)).toBe("2024-09-28T00:00:00Z");
    expect(shiftTimestamp("10.200.1.201", HOUR)).toBeNull();
    expect(shiftTimestamp("2024-09-28", HOUR)).toBeNull();
  });

  it("shifts every date-time string of a JSON value and nothing else", () => {
    const scenario = {
      scenario: "seed",
      steps: [{ name: "curl 100", at: "2026-11-27T10:00:00.000Z", result: { webpod1: 35 }, note: "at 2026-11-27T10:00:00Z" }],
      startedAt: "2026-11-27T09:59:00Z",
      durationMs: 60_000,
    };
    expect(shiftTimes(scenario, 2 * HOUR)).toEqual({
      scenario: "seed",
      steps: [{ name: "curl 100", at: "2026-11-27T12:00:00.000Z", result: { webpod1: 35 }, note: "at 2026-11-27T10:00:00Z" }],
      startedAt: "2026-11-27T11:59:00Z",
      durationMs: 60_000,
    });
  });
});
