/**
 * The account of the seed scenario behind the browser tests' history: what the lab did, when (moved to the replayed
 * times), and what its requests saw. scripts/e2e-server.sh writes it to data/e2e.scenario.json; on a kind cluster
 * lab/kind/seed.sh points E2E_SCENARIO at its own.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ScenarioResult, StepRecord } from "../../../lab/scenarios/scenario-result";

const SCENARIO_FILE = process.env.E2E_SCENARIO ?? path.join(import.meta.dirname, "../../../data/e2e.scenario.json");

/**
 * The scenario account. Read when a test runs, not when the file is collected: the test server writes it after
 * Playwright has loaded the tests. scripts/e2e-server.sh always feeds the server a scenario run (live, or the
 * checked-in recording), so a missing account is an error.
 */
export function readScenario(): ScenarioResult {
  if (!existsSync(SCENARIO_FILE)) {
    throw new Error(`no scenario account at ${SCENARIO_FILE}: scripts/e2e-server.sh writes it (on kind, set E2E_SCENARIO)`);
  }
  return JSON.parse(readFileSync(SCENARIO_FILE, "utf8")) as ScenarioResult;
}

export function scenarioStep(scenario: ScenarioResult, name: string): StepRecord {
  const step = scenario.steps.find((s) => s.name === name);
  if (!step) throw new Error(`the scenario account has no step '${name}' (has: ${scenario.steps.map((s) => s.name).join(", ")})`);
  return step;
}
