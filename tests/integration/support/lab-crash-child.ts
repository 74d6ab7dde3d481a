// A lab run that is killed mid-way: starts the cluster and a helper process outside any namespace (as the agents
// and the app are), prints their pids, then idles until SIGKILL.
import { startLabCluster } from "../../../lab/cluster/cluster";

void startLabCluster({ log: () => undefined }).then(async (cluster) => {
  const podServers = cluster.processes.running().map((p) => p.pid);
  const helper = await cluster.processes.start("helper", "sleep", ["600"]);
  process.stdout.write(`up ${JSON.stringify({ podServers, helper: helper.pid })}\n`);
  setInterval(() => undefined, 60_000);
});
