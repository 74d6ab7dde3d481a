import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { adaptedIntervalMs, CHURN_SHARE, createCaptureBudget, processCpuSeconds, TIMER_SHARE } from "./capture-budget";

describe("capture budget", () => {
  it("spaces routine captures so they use at most the timer share of a core, never sooner than configured", () => {
    expect(adaptedIntervalMs(30_000, 0.05)).toBe(30_000);
    // A 10k-service capture costing 2.4 s of CPU: 160 s between captures, 1.5% of a core.
    expect(adaptedIntervalMs(30_000, 2.4)).toBe(160_000);
    expect(2.4 / (adaptedIntervalMs(30_000, 2.4) / 1000)).toBeCloseTo(TIMER_SHARE);
  });

  it("lets a change after a quiet spell through at once, then holds captures to the churn share of a core", () => {
    const budget = createCaptureBudget();
    let now = 0;
    const cost = 3;
    budget.spend(cost, now); // the first capture
    now += 600_000; // ten quiet minutes
    expect(budget.waitMs(cost, now)).toBe(0);
    // Continuous churn: capture whenever the budget allows, for an hour.
    let spent = 0;
    const start = now;
    while (now - start < 3_600_000) {
      now += budget.waitMs(cost, now);
      budget.spend(cost, now);
      spent += cost;
      now += 1; // the next change comes right after
    }
    const seconds = (now - start) / 1000;
    // The share of the hour, plus the burst a full bucket allows (two captures).
    expect(spent).toBeLessThanOrEqual(CHURN_SHARE * seconds + 2 * cost);
    expect(spent / seconds).toBeGreaterThan(CHURN_SHARE * 0.9);
  });

  it("never holds cheap captures back for long", () => {
    const budget = createCaptureBudget();
    budget.spend(0.01, 0);
    expect(budget.waitMs(0.01, 10)).toBe(0);
  });

  it("counts the CPU of commands the process ran and waited for", () => {
    const before = processCpuSeconds();
    // A child that burns about 0.3 s of CPU; spawnSync waits for it, so its time lands in cutime.
    spawnSync("sh", ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"]);
    expect(processCpuSeconds() - before).toBeGreaterThan(0.1);
  });
});
