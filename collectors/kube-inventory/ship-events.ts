/**
 * Posting buffered events to `POST /api/v1/kube-events`: a batch every interval (sooner once a full batch is
 * waiting), retried with exponential backoff and full jitter while natwatch is unreachable or overloaded, so a
 * fleet of collectors does not come back in lockstep after an outage. Retrying a batch is safe: the server stores
 * each (kind, namespace, name, resourceVersion, type) once.
 */
import type { KubeEventUpload } from "../../lib/contracts/kube-events";
import type { EventBuffer } from "./event-buffer";
import type { Logger } from "./log";

/** Options of `startEventShipper`. */
export interface ShipperOptions {
  server: string;
  token: string;
  cluster: string;
  buffer: EventBuffer;
  batchIntervalMs: number;
  batchSize: number;
  log: Logger;
  /** First retry delay (default 500 ms); doubles per failure up to `maxBackoffMs` (default 30 s). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
}

/** A running shipper. */
export interface EventShipper {
  /** Adds an event and wakes the shipper when a full batch is waiting. */
  enqueue(event: KubeEventUpload): void;
  /** Stops the timer and posts what is buffered, giving up after `timeoutMs`; resolves to the events left unsent. */
  close(timeoutMs: number): Promise<number>;
}

type PostOutcome = "sent" | "retry" | "rejected";

/** A delay for the `failures`-th consecutive failure: uniformly random in [0, min(max, base·2^failures)]. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30)));
}

/** Starts posting the buffer's events. */
export function startEventShipper(options: ShipperOptions): EventShipper {
  const { buffer, log } = options;
  const baseBackoffMs = options.baseBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let failures = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  async function postOnce(): Promise<PostOutcome> {
    const { events, dropped, through } = buffer.peek(options.batchSize);
    if (events.length === 0) return "sent";
    let response: Response;
    try {
      response = await fetch(`${options.server}/api/v1/kube-events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ cluster: options.cluster, events, dropped }),
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000),
      });
    } catch (error) {
      log("warn", "post failed", { error: String((error as Error).cause ?? error), events: events.length, buffered: buffer.size() });
      return "retry";
    }
    const text = await response.text().catch(() => "");
    if (response.ok) {
      buffer.acknowledge({ through, dropped });
      log("info", "events posted", { events: events.length, dropped, answer: safeJson(text), buffered: buffer.size() });
      return "sent";
    }
    // 408, 429 and 5xx pass; any other 4xx is this batch's fault (or a token's) and would fail forever.
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      log("warn", "post refused for now", { status: response.status, answer: safeJson(text), buffered: buffer.size() });
      return "retry";
    }
    buffer.acknowledge({ through, dropped: 0 });
    log("error", "post rejected; batch discarded", { status: response.status, answer: safeJson(text), events: events.length });
    return "rejected";
  }

  /** Posts until the buffer is empty or a post fails; schedules the next round. */
  async function drain(): Promise<void> {
    while (buffer.size() > 0) {
      const outcome = await postOnce();
      if (outcome === "retry") {
        failures++;
        return schedule(backoffDelay(failures, baseBackoffMs, maxBackoffMs));
      }
      failures = 0;
      // A partial batch waits for the next tick, so that bursts (a rollout) travel in few posts.
      if (buffer.size() < options.batchSize) break;
    }
    schedule(options.batchIntervalMs);
  }

  function schedule(delayMs: number): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  }

  function run(): void {
    if (running) return;
    running = drain().finally(() => (running = undefined));
  }

  schedule(options.batchIntervalMs);

  return {
    enqueue(event) {
      buffer.push(event);
      if (buffer.size() >= options.batchSize && failures === 0) run();
    },
    async close(timeoutMs) {
      closed = true;
      clearTimeout(timer);
      const deadline = Date.now() + timeoutMs;
      await running;
      while (buffer.size() > 0 && Date.now() < deadline) {
        const outcome = await postOnce();
        if (outcome === "retry") await new Promise((resolve) => setTimeout(resolve, Math.min(backoffDelay(1, baseBackoffMs, 2_000), Math.max(0, deadline - Date.now()))));
      }
      return buffer.size();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}
