/**
 * kube-inventory's configuration: command-line flags over environment variables over defaults, checked once with
 * zod so a bad value stops the collector at start with the flag's name, not minutes later.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Everything the collector needs to run. */
export interface InventoryConfig {
  /** natwatch's base URL, e.g. `http://natwatch:3000`. */
  server: string;
  /** The cluster's ingest token (`natwatch token create`). */
  token: string;
  /** The cluster's name in natwatch (DNS-1123). */
  cluster: string;
  /** Where the Kubernetes API is: a kubeconfig file, or the pod's service account. */
  kube: { kind: "kubeconfig"; path: string } | { kind: "in-cluster" };
  /** How often buffered events are posted, in milliseconds. */
  batchIntervalMs: number;
  /** At most this many events per post. */
  batchSize: number;
  /** Events kept while natwatch is unreachable; beyond it the oldest are dropped (and counted). */
  bufferSize: number;
}

export const INVENTORY_USAGE = [
  "usage: natwatch inventory --server URL --token TOKEN --cluster NAME (--kubeconfig FILE | --in-cluster) [options]",
  "",
  "Watches Pods, Services, EndpointSlices and Nodes of one cluster and posts their events to natwatch",
  "(POST /api/v1/kube-events), so a node's rule change can be tied to the pod event behind it.",
  "",
  "  --server URL            natwatch's base URL                       env NATWATCH_SERVER",
  "  --token TOKEN           the cluster's ingest token                env NATWATCH_TOKEN",
  "  --cluster NAME          the cluster's name in natwatch            env NATWATCH_CLUSTER",
  "  --kubeconfig FILE       kubeconfig to reach the API server        env KUBECONFIG",
  "  --in-cluster            use the pod's service account instead     env NATWATCH_IN_CLUSTER=1",
  "  --batch-interval MS     post buffered events this often (1000)    env NATWATCH_BATCH_INTERVAL_MS",
  "  --batch-size N          at most N events per post (500)           env NATWATCH_BATCH_SIZE",
  "  --buffer-size N         events kept while natwatch is down (50000); the oldest go first",
  "                                                                    env NATWATCH_BUFFER_SIZE",
  "",
  "Logs are JSON lines on stdout. SIGTERM or SIGINT posts what is buffered and exits 0, or 1 when natwatch",
  "did not take it all within 20 seconds.",
].join("\n");

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const integer = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`);

const configSchema = z.object({
  server: z.url({ protocol: /^https?$/, error: "--server must be an http(s) URL" }).transform((url) => url.replace(/\/+$/, "")),
  token: z.string({ error: "--token is required" }).min(1, "--token is required"),
  cluster: z.string({ error: "--cluster is required" }).regex(CLUSTER_NAME, "--cluster must be a lower-case DNS-1123 name"),
  kubeconfig: z.string().min(1).optional(),
  inCluster: z.boolean(),
  batchIntervalMs: integer("--batch-interval", 10, 600_000),
  // The ingest contract accepts at most 10 000 events per batch.
  batchSize: integer("--batch-size", 1, 10_000),
  bufferSize: integer("--buffer-size", 1, 10_000_000),
});

/** A configuration problem, worded for the person starting the collector. */
export class InventoryConfigError extends Error {}

/** Reads flags (`argv`, without the command name) and environment into a checked configuration. */
export function readInventoryConfig(argv: string[], env: Record<string, string | undefined>): InventoryConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      cluster: { type: "string" },
      kubeconfig: { type: "string" },
      "in-cluster": { type: "boolean" },
      "batch-interval": { type: "string" },
      "batch-size": { type: "string" },
      "buffer-size": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
  if (values.help) return "help";
  const parsed = configSchema.safeParse({
    server: values.server ?? env.NATWATCH_SERVER,
    token: values.token ?? env.NATWATCH_TOKEN,
    cluster: values.cluster ?? env.NATWATCH_CLUSTER,
    kubeconfig: values.kubeconfig,
    inCluster: values["in-cluster"] ?? false,
    batchIntervalMs: values["batch-interval"] ?? env.NATWATCH_BATCH_INTERVAL_MS ?? 1000,
    batchSize: values["batch-size"] ?? env.NATWATCH_BATCH_SIZE ?? 500,
    bufferSize: values["buffer-size"] ?? env.NATWATCH_BUFFER_SIZE ?? 50_000,
  });
  if (!parsed.success) throw new InventoryConfigError(parsed.error.issues.map((issue) => issue.message).join("; "));
  const { kubeconfig, inCluster, ...rest } = parsed.data;
  return { ...rest, kube: kubeSource(kubeconfig, inCluster, env) };
}

/** Flags decide first; from the environment NATWATCH_IN_CLUSTER wins over KUBECONFIG (set by many shells' profiles). */
function kubeSource(kubeconfig: string | undefined, inCluster: boolean, env: Record<string, string | undefined>): InventoryConfig["kube"] {
  if (kubeconfig !== undefined && inCluster) throw new InventoryConfigError("--kubeconfig and --in-cluster exclude each other");
  if (kubeconfig !== undefined) return { kind: "kubeconfig", path: kubeconfig };
  if (inCluster || env.NATWATCH_IN_CLUSTER === "1" || env.NATWATCH_IN_CLUSTER === "true") return { kind: "in-cluster" };
  if (env.KUBECONFIG) return { kind: "kubeconfig", path: env.KUBECONFIG };
  throw new InventoryConfigError("one of --kubeconfig FILE or --in-cluster is required");
}
