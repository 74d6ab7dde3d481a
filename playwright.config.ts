import { defineConfig } from "@playwright/test";

/** Port of the natwatch server the browser tests start (its own database; see scripts/e2e-server.sh). */
const PORT = 3210;

/**
 * E2E_TARGET=kind runs the same tests against natwatch deployed on a real kind cluster (lab/kind/seed.sh sets
 * E2E_BASE_URL and E2E_SCENARIO); by default the tests start their own server fed by the lab's seed scenario.
 */
const onKind = process.env.E2E_TARGET === "kind";
const baseURL = onKind ? (process.env.E2E_BASE_URL ?? "http://127.0.0.1:30000") : `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  timeout: 30_000,
  use: {
    baseURL,
    // Debian's chromium: Playwright's own browser download is not available on these machines.
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  webServer: onKind
    ? undefined
    : {
        command: `bash scripts/e2e-server.sh ${PORT}`,
        url: `http://127.0.0.1:${PORT}/api/v1/clusters`,
        timeout: 900_000,
        reuseExistingServer: false,
        stdout: "ignore",
        stderr: "pipe",
      },
});
