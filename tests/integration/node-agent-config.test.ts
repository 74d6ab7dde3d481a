/**
 * The node agent's settings: flags, their environment variables, defaults, and the refusals a misconfigured
 * DaemonSet would see at start, through the function and through `natwatch agent`.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readAgentConfig } from "../../collectors/node-agent/config";
import { repoRoot } from "./support/ingest-fixtures";

const run = promisify(execFile);
const required = ["--server", "http://natwatch:3000", "--token", "nwt_x", "--cluster", "kind"];

describe("node agent settings", () => {
  it("fills the defaults: 30 s interval, metrics on 9101, node from the downward API's NODE_NAME", () => {
    const read = readAgentConfig(required, { NODE_NAME: "myk8s-worker2" }, "ignored-host");
    expect(read).toEqual({
      ok: true,
      config: {
        server: "http://natwatch:3000",
        token: "nwt_x",
        cluster: "kind",
        node: "myk8s-worker2",
        intervalMs: 30_000,
        debounceMs: 200,
        spoolDir: "/var/lib/natwatch/spool",
        spoolMaxFiles: 1000,
        spoolMaxBytes: 104_857_600,
        execPrefix: [],
        metricsPort: 9101,
        watch: true,
      },
    });
  });

  it("reads every setting from the environment, lets a flag win, and falls back to the host name", () => {
    const env = {
      NATWATCH_SERVER: "http://env:3000",
      NATWATCH_TOKEN: "nwt_env",
      NATWATCH_CLUSTER: "prod",
      NATWATCH_INTERVAL: "10",
      NATWATCH_EXEC_PREFIX: "ip netns exec  worker1",
      NATWATCH_SPOOL_MAX_FILES: "5",
      NATWATCH_METRICS_PORT: "9200",
    };
    const read = readAgentConfig(["--interval", "2.5"], env, "MyHost");
    expect(read.ok && read.config).toMatchObject({
      server: "http://env:3000",
      token: "nwt_env",
      cluster: "prod",
      node: "myhost",
      intervalMs: 2_500,
      execPrefix: ["ip", "netns", "exec", "worker1"],
      spoolMaxFiles: 5,
      metricsPort: 9200,
    });
  });

  it("refuses bad settings naming the flag and its variable", () => {
    expect(readAgentConfig(["--server", "http://s", "--cluster", "kind"], {}, "h")).toEqual({ ok: false, help: false, error: expect.stringMatching(/^--token \/ NATWATCH_TOKEN: /) });
    expect(readAgentConfig([...required, "--interval=-3"], {}, "h")).toEqual({ ok: false, help: false, error: "--interval / NATWATCH_INTERVAL: interval must be positive seconds" });
    expect(readAgentConfig([...required, "--node", "Worker_1"], {}, "h")).toEqual({ ok: false, help: false, error: "--node / NATWATCH_NODE: node must be a lower-case DNS-1123 name" });
    expect(readAgentConfig([...required, "--metrics-port", "70000"], {}, "h")).toMatchObject({ ok: false, error: expect.stringMatching(/^--metrics-port \/ NATWATCH_METRICS_PORT: /) });
    expect(readAgentConfig([...required, "--bogus", "1"], {}, "h")).toMatchObject({ ok: false, error: expect.stringContaining("--bogus") });
  });

  it("natwatch agent --help lists every flag with its variable; a bad setting exits 2 before doing anything", async () => {
    const cli = path.join(repoRoot, "bin/natwatch.mjs");
    const help = await run(process.execPath, [cli, "agent", "--help"]);
    for (const flag of ["--server", "--token", "--cluster", "--node", "--interval", "--spool-dir", "--spool-max-files", "--spool-max-bytes", "--exec-prefix", "--metrics-port"]) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toContain("NATWATCH_EXEC_PREFIX");
    const failure = await run(process.execPath, [cli, "agent", "--cluster", "kind"], { env: { ...process.env, NATWATCH_SERVER: "", NATWATCH_TOKEN: "" } }).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringMatching(/^natwatch agent: --server \/ NATWATCH_SERVER: /) });
  }, 30_000);
});
