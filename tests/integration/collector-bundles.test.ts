/**
 * The collectors' bundles (npm run build:collectors), which the container images run: built from the sources, they
 * answer exactly like `natwatch agent` and `natwatch inventory`, the images run what the script builds, and the
 * bundled agent captures a throwaway network namespace's kube-proxy rules into the real app.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { buildCollectors, COLLECTOR_BUNDLES, type CollectorBundle } from "../../scripts/build-collectors";
import { startAppServer, type AppServer } from "./support/app-server";
import { useTestDatabase } from "./support/databases";
import { renderedDump, repoRoot, seedService } from "./support/ingest-fixtures";
import { createNetns, deleteNetns, inNetns } from "./support/netns";

const run = promisify(execFile);
const cli = path.join(repoRoot, "bin/natwatch.mjs");

/** Exit status and output of a finished process, whatever its status. */
async function outcome(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("collector bundles", () => {
  let outDir: string;
  let bundles: Record<CollectorBundle, string>;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), "natwatch-bundles-"));
    bundles = await buildCollectors(outDir);
  }, 120_000);
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it("answer --help, a bad setting and an unknown flag exactly as natwatch does", async () => {
    const noSettings = { ...process.env, NATWATCH_SERVER: "", NATWATCH_TOKEN: "", NATWATCH_CLUSTER: "" };
    for (const name of Object.keys(COLLECTOR_BUNDLES) as CollectorBundle[]) {
      for (const args of [["--help"], ["--cluster", "kind"], ["--bogus", "1"]]) {
        const bundled = await outcome([bundles[name], ...args], noSettings);
        expect(bundled, `${name} ${args.join(" ")}`).toEqual(await outcome([cli, name, ...args], noSettings));
      }
      const help = await outcome([bundles[name], "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: natwatch ${name} --server`));
    }
    const refused = await outcome([bundles.agent, "--cluster", "kind"], noSettings);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/^natwatch agent: --server \/ NATWATCH_SERVER: /) });
  }, 60_000);

  it("carry no TypeScript loader: the agent's bundle stands alone", () => {
    const text = readFileSync(bundles.agent, "utf8");
    expect(text).not.toMatch(/from ["'](tsx|\.{1,2}\/)/);
    expect(text).not.toContain("@kubernetes/client-node");
  });

  it("are what the collector images build and run", () => {
    for (const [name, image] of [["agent", "node-agent"], ["inventory", "kube-inventory"]] as const) {
      const dockerfile = readFileSync(path.join(repoRoot, `deploy/docker/${image}.Dockerfile`), "utf8");
      expect(dockerfile, image).toMatch(/^RUN npm run build:collectors$/m);
      expect(dockerfile, image).toContain(`COPY --from=build /natwatch/dist/collectors/${name}.mjs ./${name}.mjs`);
      const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
      expect(entrypoint.slice(0, COLLECTOR_BUNDLES[name].nodeFlags.length + 2), image).toEqual(["node", ...COLLECTOR_BUNDLES[name].nodeFlags, `${name}.mjs`]);
      // The runtime stage starts from node alone: no node_modules, no sources.
      const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
      expect(runtime, image).not.toMatch(/npm|COPY (?!--from=build)/);
    }
  });

  describe("the bundled agent against the natwatch app", () => {
    const database = useTestDatabase("sqlite");
    let app: AppServer;
    let ns: string | undefined;
    let spoolDir: string;

    beforeAll(async () => {
      app = await startAppServer({ databaseUrl: database().url, env: { NATWATCH_RETENTION_DAYS: "30" } });
      spoolDir = await mkdtemp(path.join(os.tmpdir(), "natwatch-spool-"));
    }, 300_000);
    afterAll(async () => {
      if (ns) await deleteNetns(ns).catch(() => undefined);
      await rm(spoolDir, { recursive: true, force: true });
      await app?.stop();
    });

    it("captures a namespace's kube-proxy rules, uploads them, and exits 0 on SIGTERM", async () => {
      ns = await createNetns("bundle-agent");
      const rules = path.join(spoolDir, "rules");
      await writeFile(rules, renderedDump([seedService(["10.10.1.2", "10.10.2.2"])]));
      await inNetns(ns, "iptables-restore", [rules]);
      await rm(rules);
      const { token } = await createIngestToken(database().db, { cluster: "kind", label: "bundled agent" });

      const child = spawn(process.execPath, [bundles.agent, "--exec-prefix", `ip netns exec ${ns}`, "--spool-dir", spoolDir, "--metrics-port", "0", "--interval", "3600"], {
        env: { ...process.env, NATWATCH_SERVER: app.url, NATWATCH_TOKEN: token, NATWATCH_CLUSTER: "kind", NODE_NAME: "worker-bundled" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        const until = Date.now() + 60_000;
        const snapshotOf = () => database().db.snapshot.findFirst({ where: { node: { name: "worker-bundled" } }, include: { ruleset: true } });
        let snapshot = await snapshotOf();
        while (!snapshot && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          snapshot = await snapshotOf();
        }
        expect(snapshot?.ruleset, output).toMatchObject({ mode: "iptables" });
        child.kill("SIGTERM");
        expect(await exit).toBe(0);
        expect(output).toMatch(/"msg":"agent stopped","spooled":0/);
        expect(output).not.toMatch(/"level":"error"/);
      } finally {
        child.kill("SIGKILL");
      }
    }, 120_000);
  });
});
