/**
 * The node agent's settings, from command-line flags and environment variables, validated once at start.
 *
 * Every flag has an environment variable (`--server` ↔ `NATWATCH_SERVER`, …) because a DaemonSet sets env more
 * easily than arguments; a flag wins over its variable. The node name defaults to `NODE_NAME`, which a DaemonSet
 * fills from the downward API (`fieldRef: spec.nodeName`), and otherwise to the host name — right with
 * hostNetwork, where the pod's host name is the node's.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Validated agent settings. */
export interface AgentConfig {
  /** Base URL of the natwatch app, e.g. `http://natwatch:3000`. */
  server: string;
  /** Ingest bearer token of the cluster. */
  token: string;
  cluster: string;
  node: string;
  role?: "control-plane" | "worker";
  /** Capture interval for counters and conntrack (the floor; it grows with the measured capture cost). */
  intervalMs: number;
  /** Quiet time after the last rule-change event before capturing (kube-proxy writes in bursts). */
  debounceMs: number;
  spoolDir: string;
  spoolMaxFiles: number;
  spoolMaxBytes: number;
  /** Words put in front of every capture command, e.g. `["ip", "netns", "exec", "worker1"]`. */
  execPrefix: string[];
  /** Port of the Prometheus endpoint on 127.0.0.1; 0 picks a free one. */
  metricsPort: number;
  /** Watch for rule changes (`nft monitor`, or a poll where it is unavailable). */
  watch: boolean;
}

/** One setting: its flag, its variable, what it means. */
const SETTINGS = {
  server: { env: "NATWATCH_SERVER", help: "natwatch app URL (required)" },
  token: { env: "NATWATCH_TOKEN", help: "ingest token of the cluster (required)" },
  cluster: { env: "NATWATCH_CLUSTER", help: "cluster name (required)" },
  node: { env: "NATWATCH_NODE", help: "node name (default: $NODE_NAME, else the host name)" },
  role: { env: "NATWATCH_ROLE", help: "control-plane or worker (default: worker)" },
  interval: { env: "NATWATCH_INTERVAL", help: "capture interval in seconds (default 30)" },
  "debounce-ms": { env: "NATWATCH_DEBOUNCE_MS", help: "quiet time after a rule change before capturing (default 200)" },
  "spool-dir": { env: "NATWATCH_SPOOL_DIR", help: "directory of captures waiting for the server (default /var/lib/natwatch/spool)" },
  "spool-max-files": { env: "NATWATCH_SPOOL_MAX_FILES", help: "spool bound in captures (default 1000)" },
  "spool-max-bytes": { env: "NATWATCH_SPOOL_MAX_BYTES", help: "spool bound in bytes (default 104857600)" },
  "exec-prefix": { env: "NATWATCH_EXEC_PREFIX", help: 'words run before every capture command, e.g. "ip netns exec NODE"' },
  "metrics-port": { env: "NATWATCH_METRICS_PORT", help: "Prometheus metrics port on 127.0.0.1 (default 9101; 0 = any free port)" },
  watch: { env: "NATWATCH_WATCH", help: "watch for rule changes: true or false (default true)" },
} as const;

type SettingName = keyof typeof SETTINGS;

const count = (name: string) => z.coerce.number().int(`${name} must be a whole number`).positive(`${name} must be positive`);

const configSchema = z.object({
  server: z.url("server must be an http(s) URL").refine((u) => /^https?:\/\//.test(u), "server must be an http(s) URL"),
  token: z.string().min(1, "token is required"),
  cluster: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "cluster must be a lower-case DNS-1123 name"),
  node: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "node must be a lower-case DNS-1123 name"),
  role: z.enum(["control-plane", "worker"]).optional(),
  interval: z.coerce.number().positive("interval must be positive seconds").default(30),
  "debounce-ms": z.coerce.number().int().min(0).default(200),
  "spool-dir": z.string().min(1).default("/var/lib/natwatch/spool"),
  "spool-max-files": count("spool-max-files").default(1000),
  "spool-max-bytes": count("spool-max-bytes").default(100 * 1024 * 1024),
  "exec-prefix": z.string().default(""),
  "metrics-port": z.coerce.number().int().min(0).max(65535).default(9101),
  watch: z.enum(["true", "false"]).default("true"),
});

/** `natwatch agent --help`. */
export function agentUsage(): string {
  const width = Math.max(...Object.keys(SETTINGS).map((k) => k.length)) + 2;
  return [
    "usage: natwatch agent --server URL --token TOKEN --cluster NAME [options]",
    "",
    "Captures this node's NAT rules and conntrack state on a timer and on every rule change, and uploads them to a",
    "natwatch server; spools to disk while the server is unreachable. Every option also reads its variable.",
    "",
    ...Object.entries(SETTINGS).map(([flag, s]) => `  --${flag.padEnd(width)}${s.env.padEnd(26)}${s.help}`),
  ].join("\n");
}

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; help: true } | { ok: false; help: false; error: string };

/**
 * Reads the settings from `argv` (the arguments after `agent`), then `env`, then defaults. `hostname` is the
 * fallback node name. Errors name the flag and its variable.
 */
export function readAgentConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, hostname: string): ConfigResult {
  const options = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, { type: "string" as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, help: false, error: (error as Error).message };
  }
  if (values.help) return { ok: false, help: true };
  const raw: Record<string, string | undefined> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const flag = values[name];
    raw[name] = typeof flag === "string" ? flag : env[setting.env] || undefined;
  }
  raw.node ??= env.NODE_NAME || hostname.toLowerCase();
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "") as SettingName;
    const where = SETTINGS[name] ? `--${name} / ${SETTINGS[name].env}` : name;
    return { ok: false, help: false, error: `${where}: ${issue.message}` };
  }
  const c = parsed.data;
  return {
    ok: true,
    config: {
      server: c.server,
      token: c.token,
      cluster: c.cluster,
      node: c.node,
      ...(c.role ? { role: c.role } : {}),
      intervalMs: Math.round(c.interval * 1000),
      debounceMs: c["debounce-ms"],
      spoolDir: c["spool-dir"],
      spoolMaxFiles: c["spool-max-files"],
      spoolMaxBytes: c["spool-max-bytes"],
      execPrefix: c["exec-prefix"].split(/\s+/).filter((w) => w !== ""),
      metricsPort: c["metrics-port"],
      watch: c.watch === "true",
    },
  };
}
