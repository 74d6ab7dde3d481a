/**
 * Runs the lab's control plane on its own, loaded with the study note's cluster, and writes a kubeconfig for it:
 *
 *   node --import tsx lab/control-plane/serve.ts [--port 6443] [--kubeconfig FILE] [--empty]
 *
 * then, for instance, `natwatch inventory --kubeconfig FILE …`. Runs until SIGINT or SIGTERM.
 */
import { parseArgs } from "node:util";
import { startControlPlane } from "./control-plane";
import { writeKubeconfig } from "./kubeconfig";
import { applyStudyCluster } from "./study-cluster";

const { values } = parseArgs({
  options: { port: { type: "string" }, kubeconfig: { type: "string" }, empty: { type: "boolean" } },
});
const plane = await startControlPlane({ port: values.port === undefined ? 0 : Number(values.port) });
if (!values.empty) applyStudyCluster(plane);
const kubeconfig = values.kubeconfig ?? "lab-control-plane.kubeconfig";
await writeKubeconfig(kubeconfig, plane.url);
process.stdout.write(`control plane at ${plane.url} (resourceVersion ${plane.resourceVersion()}); kubeconfig ${kubeconfig}\n`);
await new Promise((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});
await plane.stop();
