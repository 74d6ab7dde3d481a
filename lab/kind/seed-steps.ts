/**
 * The seed scenario on a real kind cluster, with kubectl and `docker exec`: the same steps as the lab's
 * (lab/scenarios/seed.ts), the same account of them (lab/scenarios/scenario-result.ts), so the browser tests run
 * against either. Needs the cluster `lab/kind/seed.sh up` makes, with natwatch deployed and reachable.
 *
 * kind's kube-proxy has no knob for being late, so two steps freeze myk8s-worker3's kube-proxy process (SIGSTOP inside
 * the node's container; kubeadm's kube-proxy has no liveness probe that would restart it): its rules stay as they
 * were — for a few seconds while webpod2 restarts (SIGCONT then lets it catch up: the late node), and for good in the
 * last step (the stuck node). Changing the DaemonSet instead would restart every node's kube-proxy.
 * `appliedAt` is when polling `iptables-save` first showed a node's change: an upper bound, within a poll.
 *
 * Usage: node --import tsx lab/kind/seed-steps.ts --server http://127.0.0.1:30000 [--result FILE]
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { endpointChainName } from "../../lib/kube-proxy/chain-names";
import { waitForCaptures } from "../scenarios/read-api";
import type { CurlRecord, PodRecord, ScenarioResult, StepRecord } from "../scenarios/scenario-result";
import { SEED_SERVICE_PORT, seedPortRules, type SeedPortRules } from "./seed-rules";

const here = path.dirname(fileURLToPath(import.meta.url));
const CONTEXT = "kind-myk8s";
const NODES = ["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"] as const;
const CLUSTER_IP = "10.200.1.201";
const NODE_PORT = 30007;
const LATE = "myk8s-worker3";
const LAG_MS = 4_000;

function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 256 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim() || error.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const kubectl = (args: string[], input?: string) => run("kubectl", ["--context", CONTEXT, ...args], input);
const natRules = async (node: string) => seedPortRules(await run("docker", ["exec", node, "iptables-save", "-t", "nat"]));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls every node's nat table until `applied` holds for each node named; returns when each first held. */
async function waitForRules(nodes: readonly string[], applied: (rules: SeedPortRules | null) => boolean, timeoutMs = 120_000): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  const until = Date.now() + timeoutMs;
  while (nodes.some((n) => seen[n] === undefined)) {
    if (Date.now() > until) throw new Error(`kube-proxy did not apply the step on ${nodes.filter((n) => seen[n] === undefined).join(", ")}`);
    for (const node of nodes) if (seen[node] === undefined && applied(await natRules(node))) seen[node] = Date.now();
    await sleep(200);
  }
  return seen;
}

const endpointsAre = (ips: readonly string[]) => (rules: SeedPortRules | null) => JSON.stringify(rules?.endpoints ?? []) === JSON.stringify(ips.map((ip) => `${ip}:80`).sort());

interface PodJson {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { podIP?: string };
}

async function pods(): Promise<PodRecord[]> {
  const list = JSON.parse(await kubectl(["get", "pods", "-n", "default", "-o", "json"])) as { items: PodJson[] };
  return list.items
    .filter((p) => p.metadata.labels?.app === "webpod" || p.metadata.name === "net-pod")
    .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name, node: p.spec.nodeName ?? "", ip: p.status.podIP ?? "" }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const webpodIps = async () => (await pods()).filter((p) => p.name.startsWith("webpod")).map((p) => p.ip);

function webpod(name: string, node: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "webpod" } },
    spec: { nodeName: node, containers: [{ name: "container", image: "traefik/whoami" }], terminationGracePeriodSeconds: 0 },
  });
}

async function waitReady(names: string[]): Promise<void> {
  await kubectl(["wait", "--for=condition=Ready", "--timeout=180s", ...names.map((n) => `pod/${n}`)]);
}

/** Freezes (STOP) or resumes (CONT) the kube-proxy process of a node: frozen, it leaves the node's rules as they are. */
async function signalKubeProxy(node: string, signal: "STOP" | "CONT"): Promise<void> {
  await run("docker", ["exec", node, "sh", "-c", `kill -${signal} $(pgrep -x kube-proxy)`]);
}

/** `curl` in a loop, counting the Hostname lines of whoami's replies (the seed's `grep Hostname | sort | uniq -c`). */
function countReplies(from: string, url: string, output: string, requests: number, ips: Map<string, string>): CurlRecord {
  const hostnames: Record<string, number> = {};
  for (const line of output.split("\n")) {
    const name = /^Hostname: (\S+)/.exec(line.trim())?.[1];
    if (name) hostnames[name] = (hostnames[name] ?? 0) + 1;
  }
  const answered = Object.values(hostnames).reduce((a, b) => a + b, 0);
  return {
    from,
    url,
    requests,
    hostnames,
    endpoints: Object.fromEntries(Object.entries(hostnames).map(([name, count]) => [`${ips.get(name) ?? name}:80`, count])),
    errors: answered < requests ? { "no reply": requests - answered } : {},
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { server: { type: "string", default: "http://127.0.0.1:30000" }, result: { type: "string" } } });
  const server = values.server!;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const started = Date.now();
  const steps: StepRecord[] = [];

  async function step(
    name: string,
    title: string,
    change: (seen: Record<string, number>) => Promise<Partial<Pick<StepRecord, "curl" | "details">> | void>,
    applied?: { nodes: readonly string[]; check: (rules: SeedPortRules | null) => boolean },
  ): Promise<void> {
    const startedAt = Date.now();
    log(`── ${name}: ${title}`);
    // A change may see nodes apply it while it runs (the restart waits for the punctual nodes before the late one).
    const seen: Record<string, number> = {};
    const extra = (await change(seen)) ?? {};
    const afterChange = Date.now();
    if (applied) Object.assign(seen, await waitForRules(applied.nodes.filter((n) => seen[n] === undefined), applied.check));
    const wanted = new Map(NODES.map((n) => [n, Math.max(startedAt, seen[n] ?? 0, extra.curl ? afterChange : 0) + 1]));
    const capturedAt = await waitForCaptures(server, wanted, 120_000);
    const appliedAt = Object.fromEntries(Object.entries(seen).map(([n, at]) => [n, new Date(at).toISOString()]));
    steps.push({ name, title, startedAt: new Date(startedAt).toISOString(), endedAt: new Date().toISOString(), appliedAt, capturedAt, pods: await pods(), ...extra });
  }

  await step("deploy", `Deploy webpod1-3, net-pod and svc-clusterip (ClusterIP ${CLUSTER_IP}:9000 → 80)`, async () => {
    await kubectl(["apply", "-f", path.join(here, "seed-workloads.yaml")]);
    await waitReady(["webpod1", "webpod2", "webpod3", "net-pod"]);
  }, { nodes: NODES, check: (rules) => rules?.endpoints.length === 3 });

  const ipsByName = async () => new Map((await pods()).map((p) => [p.name, p.ip]));
  await step("curl-clusterip", `curl ${CLUSTER_IP}:9000 100 times from net-pod`, async () => {
    const output = await kubectl(["exec", "net-pod", "--", "sh", "-c", `for i in $(seq 1 100); do curl -s ${CLUSTER_IP}:9000 | grep Hostname; done`]);
    const curl = countReplies("net-pod", `http://${CLUSTER_IP}:9000/`, output, 100, await ipsByName());
    log(JSON.stringify(curl.hostnames));
    return { curl };
  });

  const before = await pods();
  const old = before.find((p) => p.name === "webpod2")!;
  await step("restart-webpod2", `Delete and recreate webpod2; ${LATE}'s kube-proxy ${LAG_MS / 1000} s late`, async (seen) => {
    await signalKubeProxy(LATE, "STOP");
    try {
      await kubectl(["delete", "pod", "webpod2", "--wait=true"]);
      await kubectl(["apply", "-f", "-"], webpod("webpod2", old.node));
      await waitReady(["webpod2"]);
      Object.assign(seen, await waitForRules(NODES.filter((n) => n !== LATE), endpointsAre(await webpodIps())));
      await sleep(LAG_MS);
    } finally {
      await signalKubeProxy(LATE, "CONT");
    }
    const created = (await pods()).find((p) => p.name === "webpod2")!;
    return {
      details: {
        oldIp: old.ip,
        newIp: created.ip,
        oldSepChain: endpointChainName(SEED_SERVICE_PORT, "tcp", `${old.ip}:80`),
        newSepChain: endpointChainName(SEED_SERVICE_PORT, "tcp", `${created.ip}:80`),
        laggingNode: LATE,
        lagMs: LAG_MS,
      },
    };
  }, { nodes: NODES, check: (rules) => !!rules && !rules.endpoints.includes(`${old.ip}:80`) && rules.endpoints.length === 3 });

  const workerIp = (await kubectl(["get", "node", "myk8s-worker", "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}"])).trim();
  await step("nodeport", `Make svc-clusterip a NodePort (${NODE_PORT}); curl ${workerIp}:${NODE_PORT}`, async () => {
    const ports = [{ name: "svc-webport", port: 9000, targetPort: 80, nodePort: NODE_PORT }];
    await kubectl(["patch", "service", "svc-clusterip", "--type", "merge", "-p", JSON.stringify({ spec: { type: "NodePort", ports } })]);
    await waitForRules(NODES, (rules) => rules?.nodePort === `:${NODE_PORT}`);
    // From the docker host: outside the cluster, as the document's reader is.
    const replies: string[] = [];
    for (let i = 0; i < 20; i++) replies.push(await fetch(`http://${workerIp}:${NODE_PORT}/`).then((r) => r.text(), () => ""));
    const curl = countReplies("docker host", `http://${workerIp}:${NODE_PORT}/`, replies.join("\n"), 20, await ipsByName());
    return { curl, details: { nodePort: NODE_PORT, node: "myk8s-worker", nodeIP: workerIp } };
  }, { nodes: NODES, check: (rules) => rules?.nodePort === `:${NODE_PORT}` });

  await step("scale-to-five", "Scale the web pods to five (webpod4 on myk8s-worker, webpod5 on myk8s-worker2)", async () => {
    await kubectl(["apply", "-f", "-"], `${webpod("webpod4", "myk8s-worker")}\n${webpod("webpod5", "myk8s-worker2")}`);
    await waitReady(["webpod4", "webpod5"]);
  }, { nodes: NODES, check: (rules) => rules?.endpoints.length === 5 });

  await step("scale-to-three", "Scale back to three (delete webpod4 and webpod5)", async () => {
    await kubectl(["delete", "pod", "webpod4", "webpod5", "--wait=true"]);
  }, { nodes: NODES, check: (rules) => rules?.endpoints.length === 3 });

  const gone = (await pods()).find((p) => p.name === "webpod1")!;
  await step("stuck-kube-proxy", `Stop ${LATE}'s kube-proxy, then delete webpod1: ${LATE} keeps its endpoint`, async () => {
    await signalKubeProxy(LATE, "STOP");
    await kubectl(["delete", "pod", "webpod1", "--wait=true"]);
    return { details: { stuckNode: LATE, removedPod: gone.name, removedEndpoint: `${gone.ip}:80`, removedSepChain: endpointChainName(SEED_SERVICE_PORT, "tcp", `${gone.ip}:80`) } };
  }, { nodes: NODES.filter((n) => n !== LATE), check: (rules) => rules?.endpoints.length === 2 });

  const nodesJson = JSON.parse(await kubectl(["get", "nodes", "-o", "json"])) as {
    items: { metadata: { name: string; labels: Record<string, string> }; spec: { podCIDR?: string }; status: { addresses: { type: string; address: string }[] } }[];
  };
  const ended = Date.now();
  const result: ScenarioResult = {
    scenario: "seed",
    cluster: "myk8s",
    server,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    nodes: nodesJson.items.map((n) => ({
      name: n.metadata.name,
      role: "node-role.kubernetes.io/control-plane" in n.metadata.labels ? "control-plane" : "worker",
      ip: n.status.addresses.find((a) => a.type === "InternalIP")?.address ?? "",
      podCIDR: n.spec.podCIDR ?? "",
    })),
    service: { servicePort: SEED_SERVICE_PORT, namespace: "default", name: "svc-clusterip", clusterIP: CLUSTER_IP, port: 9000, targetPort: 80, nodePort: NODE_PORT },
    laggingNode: { name: LATE, lagMs: LAG_MS, step: "restart-webpod2" },
    stuckNode: { name: LATE, step: "stuck-kube-proxy" },
    steps,
  };
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (values.result) await writeFile(values.result, text);
  else process.stdout.write(text);
  log(`scenario seed on kind done in ${((ended - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    process.stderr.write(`kind seed steps: ${error.message}\n`);
    process.exit(1);
  });
}
