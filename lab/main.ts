/**
 * `npm run lab -- --scenario seed [--server URL --token T] [--keep] [--record DIR] [--result FILE] [--build|--dev]`
 *
 * Builds the seed's kind cluster from network namespaces (root needed), starts a node agent per node and
 * kube-inventory, runs the scenario against a natwatch app, and removes everything on exit, Ctrl-C or failure —
 * and, first, whatever a crashed earlier run left behind. Without --server it starts an app on a fresh SQLite
 * database (building the app first if the checkout has no build; --dev runs `next dev` instead).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLabCluster, type LabCluster } from "./cluster/cluster";
import { removeLabLeftovers } from "./cluster/leftovers";
import { CLUSTER_NAME } from "./cluster/topology";
import { startCollectors, type LabCollectors } from "./collectors";
import { issueToken, startLabServer } from "./natwatch-server";
import { startRecordingProxy, type RecordingProxy } from "./recording/record-proxy";
import { waitForCaptures } from "./scenarios/read-api";
import { formatHostnameCounts, runSeedScenario } from "./scenarios/seed";

const USAGE = `usage: npm run lab -- --scenario seed [options]

  --scenario NAME   the scenario to run (seed)
  --server URL      natwatch app to send to (default: start one on a fresh SQLite database)
  --token T         ingest token of cluster ${CLUSTER_NAME} on --server (required with --server)
  --keep            leave the cluster, collectors and app running after the scenario, until Ctrl-C
  --record DIR      collectors post through a recording proxy writing to DIR; the result goes to DIR/scenario.json
  --result FILE     write the scenario result (JSON) to FILE
  --interval S      node agents' capture interval in seconds (default 5)
  --build           rebuild the app before starting it (default: build only when the checkout has no build)
  --dev             start the app with next dev instead of building it
`;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", default: "seed" },
      server: { type: "string" },
      token: { type: "string" },
      keep: { type: "boolean", default: false },
      record: { type: "string" },
      result: { type: "string" },
      interval: { type: "string", default: "5" },
      dev: { type: "boolean", default: false },
      build: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    say(USAGE);
    return 0;
  }
  if (values.scenario !== "seed") throw new Error(`unknown scenario ${values.scenario}\n${USAGE}`);
  if (values.server && !values.token) throw new Error(`--server needs --token\n${USAGE}`);
  if (process.getuid?.() !== 0) throw new Error("the lab needs root: it creates network namespaces and loads iptables rules in them");

  const leftovers = await removeLabLeftovers();
  if (leftovers.namespaces.length + leftovers.processes.length > 0) {
    say(`removed leftovers of an earlier run: ${leftovers.namespaces.length} namespaces, ${leftovers.processes.length} processes`);
  }

  let cluster: LabCluster | null = null;
  let collectors: LabCollectors | null = null;
  let recording: RecordingProxy | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await collectors?.stop().catch(() => undefined);
      await recording?.close().catch(() => undefined);
      await cluster?.stop();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`\n${signal}: removing the lab`);
    void cleanup().finally(() => process.exit(130));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  try {
    const t0 = Date.now();
    cluster = await startLabCluster({ log: (line) => process.stderr.write(`${line}\n`) });
    say(`cluster ${CLUSTER_NAME} up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cluster.nodes.map((n) => `${n.name} ${n.ip} (ip netns exec ${cluster!.nodeNs(n.name)})`).join(", ")}`);
    say(`control plane ${cluster.plane.url}, kubeconfig ${cluster.kubeconfig}`);

    let server = values.server;
    let token = values.token;
    if (!server) {
      const app = await startLabServer(cluster.processes, cluster.workDir, { dev: values.dev, build: values.build, log: say });
      server = app.url;
      token = await issueToken(app.databaseUrl, CLUSTER_NAME);
      say(`natwatch ${server} (database ${app.databaseUrl})`);
    }
    let postTo = server;
    if (values.record) {
      await mkdir(values.record, { recursive: true });
      recording = await startRecordingProxy({ target: server, dir: values.record });
      postTo = recording.url;
      say(`recording the collectors' requests through ${recording.url} into ${values.record}`);
    }
    collectors = await startCollectors(cluster, { server: postTo, token: token!, intervalSeconds: Number(values.interval) });
    await waitForCaptures(server, new Map(cluster.nodes.map((n) => [n.name, 1])), 120_000);
    say(`agents of all ${cluster.nodes.length} nodes are reporting`);

    const result = await runSeedScenario(cluster, { server, log: say });
    const curls = result.steps.filter((s) => s.curl).map((s) => `${s.name}: ${JSON.stringify(s.curl!.hostnames)}`);
    say(`scenario seed done in ${(result.durationMs / 1000).toFixed(1)} s; ${curls.join("; ")}`);
    const outputs = [values.result, values.record ? path.join(values.record, "scenario.json") : undefined].filter((f): f is string => !!f);
    for (const file of outputs) {
      await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
      say(`result: ${file}`);
    }
    if (!outputs.length) say(formatHostnameCounts(result.steps.find((s) => s.name === "curl-clusterip")?.curl?.hostnames ?? {}));

    if (values.keep) {
      say(`\nthe lab keeps running: natwatch ${server}/ — Ctrl-C removes it`);
      await new Promise(() => undefined);
    }
    return 0;
  } catch (error) {
    // What the collectors and the app said last is usually why a step never saw its captures.
    for (const proc of cluster?.processes.running() ?? []) {
      if (proc.name.startsWith("pod ")) continue;
      process.stderr.write(`── ${proc.name}, last output:\n${proc.output().split("\n").slice(-8).join("\n")}\n`);
    }
    throw error;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`lab: ${error.message}\n`);
    process.exit(1);
  },
);
