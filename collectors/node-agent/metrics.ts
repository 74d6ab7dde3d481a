/**
 * The agent's own metrics in the Prometheus text format (version 0.0.4), served on 127.0.0.1 only: they are for a
 * node-local scraper, and nothing in them needs to leave the node otherwise.
 */
import { createServer, type Server } from "node:http";

/** Counters and gauges the agent keeps. */
export interface AgentMetrics {
  captures: number;
  /** Seconds the last capture took (reading the kernel state and building the uploads). */
  lastCaptureSeconds: number;
  captureSecondsSum: number;
  /** CPU seconds of the last capture with its upload, the capture commands included. */
  lastCaptureCpuSeconds: number;
  captureCpuSecondsSum: number;
  /** Rule-change bursts the watch reported. */
  changesSeen: number;
  /** Change captures the churn budget held back before running them. */
  changeCapturesHeld: number;
  uploads: number;
  bytesSent: number;
  /** Errors by kind: `capture`, `upload`, `refused`, `spool`. */
  errors: Record<string, number>;
  spoolFiles: number;
  spoolBytes: number;
  dropped: number;
  /** The timer interval in use after adapting to the capture's CPU cost. */
  intervalSeconds: number;
}

export function newAgentMetrics(): AgentMetrics {
  return {
    captures: 0,
    lastCaptureSeconds: 0,
    captureSecondsSum: 0,
    lastCaptureCpuSeconds: 0,
    captureCpuSecondsSum: 0,
    changesSeen: 0,
    changeCapturesHeld: 0,
    uploads: 0, bytesSent: 0, errors: {}, spoolFiles: 0, spoolBytes: 0, dropped: 0, intervalSeconds: 0 };
}

/** The metrics as Prometheus text. */
export function renderMetrics(m: AgentMetrics): string {
  const lines: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric("natwatch_agent_captures_total", "counter", "Captures of the node's rules and conntrack state.", [["", m.captures]]);
  metric("natwatch_agent_capture_duration_seconds", "gauge", "Duration of the last capture.", [["", m.lastCaptureSeconds]]);
  metric("natwatch_agent_capture_duration_seconds_sum", "counter", "Total time spent capturing.", [["", m.captureSecondsSum]]);
  metric("natwatch_agent_capture_cpu_seconds", "gauge", "CPU time of the last capture and its upload, capture commands included.", [["", m.lastCaptureCpuSeconds]]);
  metric("natwatch_agent_capture_cpu_seconds_total", "counter", "CPU time spent on captures and uploads, capture commands included.", [["", m.captureCpuSecondsSum]]);
  metric("natwatch_agent_rule_changes_total", "counter", "Bursts of rule changes the watch reported.", [["", m.changesSeen]]);
  metric("natwatch_agent_change_captures_held_total", "counter", "Change captures held back by the churn budget.", [["", m.changeCapturesHeld]]);
  metric("natwatch_agent_uploads_total", "counter", "Captures the server accepted.", [["", m.uploads]]);
  metric("natwatch_agent_bytes_sent_total", "counter", "Request body bytes sent to the server (gzip).", [["", m.bytesSent]]);
  const kinds = Object.entries(m.errors);
  metric("natwatch_agent_errors_total", "counter", "Errors by kind.", kinds.length > 0 ? kinds.map(([k, v]) => [`{kind="${k}"}`, v]) : [['{kind="capture"}', 0]]);
  metric("natwatch_agent_spool_depth", "gauge", "Captures waiting in the spool.", [["", m.spoolFiles]]);
  metric("natwatch_agent_spool_bytes", "gauge", "Bytes of the spool.", [["", m.spoolBytes]]);
  metric("natwatch_agent_dropped_total", "counter", "Captures dropped from a full spool.", [["", m.dropped]]);
  metric("natwatch_agent_interval_seconds", "gauge", "Capture timer interval in use, adapted to the measured capture cost.", [["", m.intervalSeconds]]);
  return `${lines.join("\n")}\n`;
}

/** Serves `/metrics` on 127.0.0.1:`port` (0: a free port); resolves with the bound port. */
export async function serveMetrics(port: number, metrics: () => AgentMetrics): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end("not found\n");
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(renderMetrics(metrics()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
