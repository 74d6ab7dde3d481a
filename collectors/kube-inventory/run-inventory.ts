/**
 * kube-inventory put together: one list+watch loop per kind feeding one bounded buffer, posted in batches to natwatch.
 * `startInventory` is the whole collector as a value (tests run it in-process); `runInventory` adds the process
 * concerns: signals, and flushing before exit so a rolling update of the collector loses no event.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { kubeKindSchema, type KubeEventUpload } from "../../lib/contracts/kube-events";
import type { InventoryConfig } from "./config";
import { createEventBuffer } from "./event-buffer";
import { createJsonLogger, type Logger } from "./log";
import { startEventShipper } from "./ship-events";
import { watchKind, type SeenEvent } from "./watch-kind";

/** Tuning that only tests change. */
export interface InventoryTuning {
  log?: Logger;
  /** Retry delays of lists and watches (default 1 s … 30 s). */
  watchRetryMs?: { first: number; max: number };
  /** Retry delays of posts (default 500 ms … 30 s). */
  postBackoffMs?: { base: number; max: number };
}

/** A running collector. */
export interface Inventory {
  /** Resolves once every kind has been listed (and its objects queued). */
  synced: Promise<void>;
  /** Stops watching, posts what is buffered (for at most `flushTimeoutMs`); resolves to the events left unsent. */
  stop(flushTimeoutMs?: number): Promise<number>;
}

/** The Kubernetes client configuration the config names. */
export function loadKubeConfig(config: InventoryConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kube.kind === "kubeconfig") kc.loadFromFile(config.kube.path);
  else kc.loadFromCluster();
  return kc;
}

/** The event as posted: `observedAt` is when the collector saw it, since watch events carry no time of their own. */
function toUpload(event: SeenEvent): KubeEventUpload {
  return { kind: event.kind, type: event.type, observedAt: event.observedAt.toISOString(), object: event.object as KubeEventUpload["object"] };
}

/** Starts watching every kind and posting their events. */
export function startInventory(config: InventoryConfig, tuning: InventoryTuning = {}): Inventory {
  const log = tuning.log ?? createJsonLogger();
  const kc = loadKubeConfig(config);
  const buffer = createEventBuffer(config.bufferSize);
  const shipper = startEventShipper({
    server: config.server,
    token: config.token,
    cluster: config.cluster,
    buffer,
    batchIntervalMs: config.batchIntervalMs,
    batchSize: config.batchSize,
    log,
    baseBackoffMs: tuning.postBackoffMs?.base,
    maxBackoffMs: tuning.postBackoffMs?.max,
  });
  log("info", "starting", { server: config.server, cluster: config.cluster, apiServer: kc.getCurrentCluster()?.server, bufferSize: config.bufferSize });
  const watchers = kubeKindSchema.options.map((kind) =>
    watchKind({ kc, kind, log, retryMs: tuning.watchRetryMs, onEvent: (event) => shipper.enqueue(toUpload(event)) }),
  );
  const synced = Promise.all(watchers.map((w) => w.synced)).then(() => log("info", "synced", { buffered: buffer.size() }));
  return {
    synced,
    async stop(flushTimeoutMs = 10_000) {
      await Promise.all(watchers.map((w) => w.stop()));
      const unsent = await shipper.close(flushTimeoutMs);
      log(unsent === 0 ? "info" : "warn", "stopped", { unsent, dropped: buffer.dropped() });
      return unsent;
    },
  };
}

/** Runs the collector until SIGTERM or SIGINT, then flushes; resolves to the exit status (0 after a clean flush). */
export async function runInventory(config: InventoryConfig, tuning: InventoryTuning = {}): Promise<number> {
  const log = tuning.log ?? createJsonLogger();
  const inventory = startInventory(config, { ...tuning, log });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log("info", "signal received; flushing", { signal });
  // Kubernetes waits terminationGracePeriodSeconds (30 s by default) before SIGKILL: flush well within it.
  const unsent = await inventory.stop(20_000);
  return unsent === 0 ? 0 : 1;
}
