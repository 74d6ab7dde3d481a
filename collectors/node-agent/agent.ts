/**
 * The node agent's loop: capture on a timer and on rule changes, upload what the server lacks, spool what it could
 * not take, replay the spool in order, and flush on stop.
 *
 * One capture runs at a time; a change noticed during a capture queues exactly one more. The timer adapts to the
 * capture cost: the next capture waits at least 50 times as long as the last one took, which keeps the agent under
 * 2% of one core however large the node's rule set is.
 */
import type { BuiltCapture } from "../../lib/capture/build-capture-upload";
import { changedCounters } from "../../lib/capture/build-capture-upload";
import type { CounterUpload } from "../../lib/contracts/capture";
import type { AgentConfig } from "./config";
import { captureNode } from "./capture/capture-node";
import { detectIptablesBackend } from "./capture/detect-backend";
import type { CommandRunner } from "./capture/run-command";
import { watchRuleChanges, type ChangeWatch } from "./change-watch";
import type { Logger } from "./log";
import { newAgentMetrics, serveMetrics, type AgentMetrics } from "./metrics";
import { openSpool, type SpoolEntry } from "./spool";
import { backoffDelay, describeAnswer, sendCapture, sendWithRetry, type PendingCapture, type UploadOutcome } from "./upload";

/** What the agent needs from the process: commands, the clock and a log. */
export interface AgentDeps {
  runner: CommandRunner;
  now: () => Date;
  log: Logger;
}

/** A running agent. */
export interface RunningAgent {
  metrics: AgentMetrics;
  /** Bound metrics port (useful with `--metrics-port 0`). */
  metricsPort: number;
  /** Resolves once the first capture (taken at start) is uploaded or spooled. */
  ready: Promise<void>;
  /** Captures now (after any capture in flight) and resolves when its upload or spooling is done. */
  captureNow(): Promise<void>;
  /** Stops timers and the watch, finishes the capture and upload in flight, spools what is pending. */
  stop(): Promise<void>;
}

/** Capture-cost factor: interval ≥ 50 × last capture duration keeps the agent under 2% of a core. */
const COST_FACTOR = 50;
/**
 * Rule changes are captured at once while a capture is cheap. Where one takes a second or more (tens of thousands
 * of rules), a capture right after each kube-proxy sync (every second under churn) would pin a core: change
 * captures then keep a gap of 10 × the capture's duration, bounding sustained churn to a tenth of a core.
 */
const CHANGE_COST_FACTOR = 10;
const CHEAP_CAPTURE_MS = 1_000;
const LIVE_RETRY = { attempts: 3, baseMs: 200, maxMs: 2_000 };
const REPLAY_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };

/** Per-family knowledge of the server's state, from accepted uploads. */
interface ServerState {
  rulesetDigest: string;
  /** Chain digests of that ruleset: bodies the server is known to have. */
  chains: Set<string>;
  /** Counters of the accepted capture, to send only the changed ones next time. */
  counters: readonly CounterUpload[];
}

/** Starts the agent: metrics endpoint, change watch, first capture at once. */
export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const { runner, log } = deps;
  const metrics = newAgentMetrics();
  const target = { server: config.server, token: config.token };
  const spool = await openSpool(config.spoolDir, { maxFiles: config.spoolMaxFiles, maxBytes: config.spoolMaxBytes });
  const server = new Map<string, ServerState>();
  let latestBodies = new Map<string, string>();
  let intervalMs = config.intervalMs;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let replayTimer: NodeJS.Timeout | undefined;
  let replayFailures = 0;
  let lastCaptureMs = 0;
  let lastCaptureEnded = 0;
  let changeTimer: NodeJS.Timeout | undefined;

  const error = (kind: string, msg: string, cause: string) => {
    metrics.errors[kind] = (metrics.errors[kind] ?? 0) + 1;
    log({ level: "error", msg, cause, kind });
  };
  const updateSpoolGauges = () => {
    const depth = spool.depth();
    metrics.spoolFiles = depth.files;
    metrics.spoolBytes = depth.bytes;
  };
  updateSpoolGauges();

  const backend = (await detectIptablesBackend(runner)) ?? "iptables-nft";
  log({ level: "info", msg: "agent started", node: config.node, cluster: config.cluster, backend, execPrefix: config.execPrefix.join(" "), spooled: spool.depth().files });

  const pendingOf = (entry: SpoolEntry, extraBodies: ReadonlyMap<string, string>): PendingCapture => {
    const family = entry.upload.family ?? "ipv4";
    const known = server.get(family);
    return {
      upload: { ...entry.upload, dropped: spool.dropped() },
      bodyOf: (digest) => entry.bodies[digest] ?? extraBodies.get(digest) ?? latestBodies.get(digest),
      serverHasRuleset: known?.rulesetDigest === entry.upload.rulesetDigest,
    };
  };

  /** Books an accepted upload: the server now has this ruleset, these counters, and knows of the drops. */
  const accepted = async (pending: PendingCapture, outcome: Extract<UploadOutcome, { kind: "accepted" }>, fullCounters: readonly CounterUpload[] | null) => {
    metrics.uploads++;
    const upload = pending.upload;
    const family = upload.family ?? "ipv4";
    const previous = server.get(family);
    server.set(family, {
      rulesetDigest: upload.rulesetDigest!,
      chains: new Set(upload.manifest?.map((e) => e.digest) ?? previous?.chains ?? []),
      counters: fullCounters ?? previous?.counters ?? [],
    });
    if (upload.dropped) await spool.reportDropped(upload.dropped);
    if (outcome.body.duplicate) log({ level: "info", msg: "capture was already stored", captureId: upload.captureId });
  };

  /** The spooled form of a capture: bodies of the chains the server is not known to have. */
  const spoolEntryOf = (built: BuiltCapture, upload: SpoolEntry["upload"]): SpoolEntry => {
    const known = server.get(upload.family ?? "ipv4")?.chains ?? new Set<string>();
    const bodies: Record<string, string> = {};
    for (const entry of upload.manifest ?? []) {
      if (!known.has(entry.digest)) bodies[entry.digest] = built.bodiesByDigest.get(entry.digest)!;
    }
    return { upload, bodies };
  };

  const toSpool = async (entry: SpoolEntry) => {
    try {
      const dropped = await spool.append(entry);
      if (dropped > 0) {
        metrics.dropped += dropped;
        log({ level: "warn", msg: "spool full: dropped the oldest captures", dropped });
      }
    } catch (e) {
      error("spool", "cannot write the spool", (e as Error).message);
    }
    updateSpoolGauges();
  };

  /** Replays spooled captures oldest first; stops at the first the server cannot take yet. */
  const replay = async (): Promise<boolean> => {
    for (const file of [...spool.files()]) {
      const entry = await spool.read(file);
      if (!entry) continue;
      const pending = pendingOf(entry, new Map());
      const outcome = await sendCapture(target, pending);
      metrics.bytesSent += outcome.bytesSent;
      if (outcome.kind === "unreachable") {
        updateSpoolGauges();
        return false;
      }
      if (outcome.kind === "accepted") await accepted(pending, outcome, null);
      else error("refused", `the server refused a spooled capture (${outcome.status})`, describeAnswer(outcome.body));
      await spool.remove(file);
    }
    updateSpoolGauges();
    return true;
  };

  const scheduleReplay = () => {
    if (stopping || replayTimer) return;
    replayTimer = setTimeout(() => {
      replayTimer = undefined;
      void enqueue(async () => {
        if (await replay()) replayFailures = 0;
        else {
          replayFailures++;
          scheduleReplay();
        }
      });
    }, backoffDelay(replayFailures, REPLAY_BACKOFF));
  };

  /** Uploads one fresh capture, or spools it (behind older spooled ones, so that order is kept). */
  const deliver = async (built: BuiltCapture) => {
    const family = built.upload.family ?? "ipv4";
    const fullCounters = (built.upload.counters ?? []) as CounterUpload[];
    const upload = { ...built.upload, counters: changedCounters(fullCounters, server.get(family)?.counters ?? []) };
    const entry = spoolEntryOf(built, upload);
    if (spool.files().length > 0 && !(await replay())) {
      await toSpool(entry);
      scheduleReplay();
      return;
    }
    const pending = pendingOf(entry, built.bodiesByDigest);
    const outcome = await sendWithRetry(target, pending, stopping ? { ...LIVE_RETRY, attempts: 1 } : LIVE_RETRY);
    metrics.bytesSent += outcome.bytesSent;
    if (outcome.kind === "accepted") await accepted(pending, outcome, fullCounters);
    else if (outcome.kind === "refused") error("refused", `the server refused the capture (${outcome.status})`, describeAnswer(outcome.body));
    else {
      error("upload", "server unreachable: capture spooled", outcome.cause);
      await toSpool(entry);
      scheduleReplay();
    }
  };

  const captureOnce = async () => {
    const started = performance.now();
    const capture = await captureNode(runner, config, backend, deps.now);
    const seconds = (performance.now() - started) / 1000;
    metrics.captures++;
    metrics.lastCaptureSeconds = seconds;
    metrics.captureSecondsSum += seconds;
    intervalMs = Math.max(config.intervalMs, COST_FACTOR * seconds * 1000);
    metrics.intervalSeconds = intervalMs / 1000;
    lastCaptureMs = seconds * 1000;
    lastCaptureEnded = Date.now();
    for (const problem of capture.problems) error("capture", problem.msg, problem.cause);
    if (capture.rulesets.length === 0) return;
    latestBodies = new Map(capture.rulesets.flatMap((r) => [...r.bodiesByDigest]));
    // conntrack is the node's, not a family's: it rides on the first upload.
    if (capture.conntrack) capture.rulesets[0]!.upload.conntrack = capture.conntrack;
    for (const built of capture.rulesets) await deliver(built);
  };

  // One capture or replay at a time; `queuedCapture` coalesces the requests made meanwhile.
  let chain: Promise<void> = Promise.resolve();
  let queuedCapture: Promise<void> | null = null;
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    chain = chain.then(work).catch((e: unknown) => error("capture", "capture failed", (e as Error).stack ?? String(e)));
    return chain;
  };
  const captureNow = (): Promise<void> => {
    if (queuedCapture) return queuedCapture;
    queuedCapture = enqueue(async () => {
      queuedCapture = null;
      if (stopping) return;
      clearTimeout(timer);
      await captureOnce();
      if (!stopping) timer = setTimeout(() => void captureNow(), intervalMs);
    });
    return queuedCapture;
  };

  const captureAfterChange = () => {
    const wait = lastCaptureMs >= CHEAP_CAPTURE_MS ? lastCaptureEnded + CHANGE_COST_FACTOR * lastCaptureMs - Date.now() : 0;
    if (wait <= 0) void captureNow();
    else
      changeTimer ??= setTimeout(() => {
        changeTimer = undefined;
        void captureNow();
      }, wait);
  };

  const metricsServer = await serveMetrics(config.metricsPort, () => metrics);
  let watch: ChangeWatch | undefined;
  if (config.watch) {
    watch = watchRuleChanges(runner, {
      debounceMs: config.debounceMs,
      maxDelayMs: 1_000,
      pollMs: 1_000,
      pollOnly: backend === "iptables-legacy",
      onChange: captureAfterChange,
      onProblem: (msg, cause) => error("watch", msg, cause),
    });
  }
  const ready = captureNow();

  return {
    ready,
    metrics,
    metricsPort: metricsServer.port,
    captureNow,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      clearTimeout(replayTimer);
      clearTimeout(changeTimer);
      watch?.stop();
      await chain;
      await metricsServer.close();
      log({ level: "info", msg: "agent stopped", spooled: spool.depth().files });
    },
  };
}

