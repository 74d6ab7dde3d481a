/**
 * The node agent's loop: capture on a timer and on rule changes, upload what the server lacks, spool what it could
 * not take, replay the spool in order, and flush on stop.
 *
 * One capture runs at a time; a change noticed during a capture queues exactly one more. Both the timer and the
 * change captures adapt to the measured CPU cost of a capture, commands included (capture-budget.ts), so the agent
 * stays under 2% of one core on a quiet node and under a tenth of one under continuous churn, however large the
 * node's rule set is.
 *
 * Memory: a capture keeps the bodies of only the chains the server is not known to have, and keeps them in a scratch
 * file (body-store.ts) until its upload is done, so on a large node the agent holds digests and counters, not rule
 * text; the dump itself is digested as it streams out of iptables-save.
 */
import type { BuiltCapture } from "../../lib/capture/build-capture-upload";
import { changedCounters } from "../../lib/capture/build-capture-upload";
import type { CounterUpload, ManifestEntry } from "../../lib/contracts/capture";
import type { AgentConfig } from "./config";
import { captureNode } from "./capture/capture-node";
import { detectIptablesBackend } from "./capture/detect-backend";
import type { CommandRunner } from "./capture/run-command";
import { openBodyStore } from "./body-store";
import { adaptedIntervalMs, createCaptureBudget, processCpuSeconds } from "./capture-budget";
import { watchRuleChanges, type ChangeWatch } from "./change-watch";
import { collectGarbage } from "./heap";
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

const LIVE_RETRY = { attempts: 3, baseMs: 200, maxMs: 2_000 };
/**
 * A save that runs longer than this many times the last one, and at least MIN_SAVE_TIMEOUT_MS, is reading rules
 * that change faster than it can read them (see capture-iptables.ts): it is stopped, and the churn budget, charged
 * with its CPU, holds the next attempt back.
 */
const SAVE_TIMEOUT_FACTOR = 4;
const MIN_SAVE_TIMEOUT_MS = 30_000;
const REPLAY_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };

/** The chain bodies a capture kept. */
interface CaptureBodies {
  get(digest: string): string | undefined;
  has(digest: string): boolean;
}

const NO_BODIES: CaptureBodies = { get: () => undefined, has: () => false };

/** Per-family knowledge of the server's state, from accepted uploads. */
interface ServerState {
  rulesetDigest: string;
  /** Chain digests of that ruleset: bodies the server is known to have. */
  chains: Set<string>;
  /** Its whole manifest: the base of the next changed capture's manifest delta. */
  manifest: readonly ManifestEntry[] | null;
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
  /** CPU seconds of the last capture with its upload (commands included): what the next one is expected to cost. */
  let lastCost = 0;
  /** Wall seconds of the last capture that read the rules: the next save may take a few times as long, no more. */
  let lastSaveSeconds = 0;
  const budget = createCaptureBudget();
  let changeTimer: NodeJS.Timeout | undefined;
  /** The server turned out to lack chains it was known to have (it lost them): capture again with every body. */
  let recaptureWhole = false;

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

  const pendingOf = (entry: SpoolEntry, extraBodies: CaptureBodies): PendingCapture => {
    const family = entry.upload.family ?? "ipv4";
    const known = server.get(family);
    const hasBody = (digest: string) => digest in entry.bodies || extraBodies.has(digest) || latestBodies.has(digest);
    return {
      upload: { ...entry.upload, dropped: spool.dropped() },
      bodyOf: (digest) => entry.bodies[digest] ?? extraBodies.get(digest) ?? latestBodies.get(digest),
      hasBody,
      serverHasRuleset: known?.rulesetDigest === entry.upload.rulesetDigest,
      // Spooled captures keep their whole manifest; the delta is taken against what the server has now.
      ...(known?.manifest ? { base: { rulesetDigest: known.rulesetDigest, manifest: known.manifest } } : {}),
      // Only against a known server state: without one, every body would go, also those the server has.
      ...(known ? { expectedMissing: [...new Set((entry.upload.manifest ?? []).map((e) => e.digest).filter((d) => !known.chains.has(d) && hasBody(d)))] } : {}),
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
      manifest: upload.manifest ?? (previous && previous.rulesetDigest === upload.rulesetDigest ? previous.manifest : null),
      counters: fullCounters ?? previous?.counters ?? [],
    });
    if (upload.dropped) await spool.reportDropped(upload.dropped);
    if (outcome.body.duplicate) log({ level: "info", msg: "capture was already stored", captureId: upload.captureId });
  };

  /** The spooled form of a capture: bodies of the chains the server is not known to have. */
  const spoolEntryOf = (upload: SpoolEntry["upload"], kept: CaptureBodies): SpoolEntry => {
    const known = server.get(upload.family ?? "ipv4")?.chains ?? new Set<string>();
    const bodies: Record<string, string> = {};
    for (const entry of upload.manifest ?? []) {
      const body = known.has(entry.digest) ? undefined : kept.get(entry.digest);
      if (body !== undefined) bodies[entry.digest] = body;
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
      const pending = pendingOf(entry, NO_BODIES);
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
  const deliver = async (built: BuiltCapture, kept: CaptureBodies) => {
    const family = built.upload.family ?? "ipv4";
    const fullCounters = (built.upload.counters ?? []) as CounterUpload[];
    const upload = { ...built.upload, counters: changedCounters(fullCounters, server.get(family)?.counters ?? []) };
    if (spool.files().length > 0 && !(await replay())) {
      await toSpool(spoolEntryOf(upload, kept));
      scheduleReplay();
      return;
    }
    const pending = pendingOf({ upload, bodies: {} }, kept);
    const outcome = await sendWithRetry(target, pending, stopping ? { ...LIVE_RETRY, attempts: 1 } : LIVE_RETRY);
    metrics.bytesSent += outcome.bytesSent;
    if (outcome.kind === "accepted") await accepted(pending, outcome, fullCounters);
    else if (outcome.kind === "refused" && outcome.bodiesGone) {
      // The server lost chains it had (a new database, retention): forget what it was known to have, capture again.
      log({ level: "warn", msg: "the server lacks chains it had: capturing again with every body", captureId: upload.captureId });
      server.delete(family);
      recaptureWhole = true;
    } else if (outcome.kind === "refused") error("refused", `the server refused the capture (${outcome.status})`, describeAnswer(outcome.body));
    else {
      error("upload", "server unreachable: capture spooled", outcome.cause);
      await toSpool(spoolEntryOf(upload, kept));
      scheduleReplay();
    }
  };

  /** Bodies worth keeping: those of chains the server is not known to have. */
  const keepBody = (family: "ipv4" | "ipv6", digest: string) => !server.get(family)?.chains.has(digest);

  const captureOnce = async () => {
    const started = performance.now();
    const cpuBefore = processCpuSeconds();
    const store = openBodyStore(config.spoolDir);
    try {
      const capture = await captureNode(runner, config, backend, deps.now, {
        keepBody,
        storeBody: (digest, body) => store.put(digest, body),
        // The first save has nothing to compare with: the runner's own limit applies.
        ...(lastSaveSeconds > 0 ? { saveTimeoutMs: Math.max(MIN_SAVE_TIMEOUT_MS, SAVE_TIMEOUT_FACTOR * lastSaveSeconds * 1000) } : {}),
      });
      const seconds = (performance.now() - started) / 1000;
      if (capture.rulesets.length > 0) lastSaveSeconds = seconds;
      metrics.captures++;
      metrics.lastCaptureSeconds = seconds;
      metrics.captureSecondsSum += seconds;
      for (const problem of capture.problems) error("capture", problem.msg, problem.cause);
      // What reading the dump left behind goes before the upload adds its own.
      collectGarbage();
      // conntrack is the node's, not a family's: it rides on the first upload.
      if (capture.conntrack && capture.rulesets[0]) capture.rulesets[0].upload.conntrack = capture.conntrack;
      const keptOf = (built: BuiltCapture): CaptureBodies => ({
        get: (digest) => store.get(digest) ?? built.bodiesByDigest.get(digest),
        has: (digest) => store.has(digest) || built.bodiesByDigest.has(digest),
      });
      for (const built of capture.rulesets) await deliver(built, keptOf(built));
      // Bodies the server still lacks (its answer was lost, it refused) stay at hand for the spool's replay; the
      // rest go with the store.
      const stillMissing = new Map<string, string>();
      for (const built of capture.rulesets) {
        const known = server.get(built.upload.family ?? "ipv4")?.chains;
        for (const entry of built.upload.manifest ?? []) {
          const body = known?.has(entry.digest) ? undefined : keptOf(built).get(entry.digest);
          if (body !== undefined) stillMissing.set(entry.digest, body);
        }
      }
      if (capture.rulesets.length > 0) latestBodies = stillMissing;
    } finally {
      store.close();
    }
    collectGarbage();
    lastCost = Math.max(0, processCpuSeconds() - cpuBefore);
    budget.spend(lastCost, Date.now());
    metrics.lastCaptureCpuSeconds = lastCost;
    metrics.captureCpuSecondsSum += lastCost;
    intervalMs = adaptedIntervalMs(config.intervalMs, lastCost);
    metrics.intervalSeconds = intervalMs / 1000;
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
      if (recaptureWhole && !stopping) {
        recaptureWhole = false;
        await captureOnce();
      }
      if (!stopping) timer = setTimeout(() => void captureNow(), intervalMs);
    });
    return queuedCapture;
  };

  const captureAfterChange = () => {
    metrics.changesSeen++;
    const wait = budget.waitMs(lastCost, Date.now());
    if (wait <= 0) void captureNow();
    else
      changeTimer ??= setTimeout(() => {
        changeTimer = undefined;
        metrics.changeCapturesHeld++;
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

