/**
 * natwatch's collectors against the lab, run exactly as on a real cluster: one `natwatch agent` process per node
 * (its capture commands behind `ip netns exec NODE`, its change watch `nft monitor` inside the node's namespace) and
 * one `natwatch inventory` reading the lab's control plane through the kubeconfig.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LabCluster } from "./cluster/cluster";
import type { LabProcess } from "./cluster/lab-processes";
import { CLUSTER_NAME } from "./cluster/topology";

const natwatchBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../bin/natwatch.mjs");

export interface CollectorOptions {
  /** Where the collectors post: the natwatch app, or a recording proxy in front of it. */
  server: string;
  token: string;
  /** Agent capture interval in seconds (the lab keeps it short so a scenario is quick). */
  intervalSeconds?: number;
}

export interface LabCollectors {
  agents: Map<string, LabProcess>;
  inventory: LabProcess;
  /** Stops the collectors (they flush what they hold while the server is still up). */
  stop(): Promise<void>;
}

export async function startCollectors(cluster: LabCluster, options: CollectorOptions): Promise<LabCollectors> {
  const common = ["--server", options.server, "--token", options.token, "--cluster", CLUSTER_NAME];
  const agents = new Map<string, LabProcess>();
  const started = cluster.nodes.map(async (node) => {
    const agent = await cluster.processes.start(`agent ${node.name}`, process.execPath, [
      natwatchBin, "agent", ...common,
      "--node", node.name,
      "--role", node.role,
      "--interval", String(options.intervalSeconds ?? 5),
      "--exec-prefix", `ip netns exec ${cluster.nodeNs(node.name)}`,
      "--spool-dir", path.join(cluster.workDir, "spool", node.name),
      "--metrics-port", "0",
    ]);
    agents.set(node.name, agent);
  });
  const inventory = cluster.processes.start("kube-inventory", process.execPath, [
    natwatchBin, "inventory", ...common, "--kubeconfig", cluster.kubeconfig, "--batch-interval", "500",
  ]);
  await Promise.all(started);
  const collectors: LabCollectors = {
    agents,
    inventory: await inventory,
    stop: async () => {
      await Promise.all([...agents.values(), collectors.inventory].map((p) => p.stop()));
    },
  };
  await Promise.all([...agents.values()].map((a) => a.waitForLine(/"msg":"agent started"/, 60_000)));
  return collectors;
}
