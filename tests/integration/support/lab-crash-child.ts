// A lab run that is killed mid-way: starts the cluster, prints its pod servers' pids, then idles until SIGKILL.
import { startLabCluster } from "../../../lab/cluster/cluster";

void startLabCluster({ log: () => undefined }).then((cluster) => {
  process.stdout.write(`up ${JSON.stringify(cluster.processes.running().map((p) => p.pid))}\n`);
  setInterval(() => undefined, 60_000);
});
