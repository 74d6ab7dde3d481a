/**
 * List-then-watch of one kind, the loop client-go's reflector runs, kept small enough to reason about failures:
 *
 * - start: list (in pages), report every object as ADDED, watch from the list's resourceVersion;
 * - the watch ends (API server restart, load balancer idle timeout, network drop): watch again from the last
 *   resourceVersion seen — an event or a BOOKMARK — so nothing is lost and nothing is repeated;
 * - the watch answers 410 Gone (that resourceVersion was compacted away): list again and report only the difference
 *   to what was known (relist-diff.ts), deletions during the gap included.
 *
 * client-node's own informer relists on 410 too, but re-announces every object as ADDED/UPDATE and never reports
 * objects deleted while it was not watching; hence this loop over its `Watch`.
 */
import { CoreV1Api, DiscoveryV1Api, Watch, type KubeConfig } from "@kubernetes/client-node";
import type { KubeKind } from "../../lib/contracts/kube-events";
import type { Logger } from "./log";
import { diffRelist, objectKey, type KnownObject } from "./relist-diff";
import { trimObject } from "./trim-object";

/** An event of one object, as the collector saw it. */
export interface SeenEvent {
  kind: KubeKind;
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The object, trimmed (trim-object.ts). */
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
  /** When the collector received it. */
  observedAt: Date;
}

/** The watch path of each kind, across all namespaces. */
export const WATCH_PATHS: Record<KubeKind, string> = {
  Pod: "/api/v1/pods",
  Service: "/api/v1/services",
  EndpointSlice: "/apis/discovery.k8s.io/v1/endpointslices",
  Node: "/api/v1/nodes",
};

/** A page of a list, as JSON. */
interface ListPage {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** Pages of 500, as kubectl and client-go ask for: a large cluster's Pod list in one answer can be hundreds of megabytes. */
const PAGE_SIZE = 500;

function lister(kc: KubeConfig, kind: KubeKind): (page: { limit: number; _continue?: string }) => Promise<ListPage> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  if (kind === "Pod") return (page) => core.listPodForAllNamespaces(page);
  if (kind === "Service") return (page) => core.listServiceForAllNamespaces(page);
  if (kind === "Node") return (page) => core.listNode(page);
  return (page) => discovery.listEndpointSliceForAllNamespaces(page);
}

/**
 * How long the server should keep one watch open: 5 to 10 minutes, random, as client-go's reflector asks. A watch
 * whose connection died silently (a NAT gateway forgetting it, no FIN ever sent) would otherwise wait forever; the
 * spread keeps a fleet's watches from all ending at once.
 */
function watchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

/** How long `stop` waits for a list or watch in flight to notice. */
const STOP_WAIT_MS = 2_000;

/** Options of `watchKind`. */
export interface WatchKindOptions {
  kc: KubeConfig;
  kind: KubeKind;
  log: Logger;
  onEvent(event: SeenEvent): void;
  /** Delay before retrying a failed list or watch: first value, doubled up to the max (default 1 s … 30 s). */
  retryMs?: { first: number; max: number };
}

/** A running list+watch loop. */
export interface KindWatcher {
  /** Resolves once the first list has been reported. */
  synced: Promise<void>;
  /** Ends the watch; no more events after it resolves. */
  stop(): Promise<void>;
}

/** Starts listing and watching `kind`. */
export function watchKind(options: WatchKindOptions): KindWatcher {
  const { kc, kind, log } = options;
  const list = lister(kc, kind);
  const watch = new Watch(kc);
  const retry = options.retryMs ?? { first: 1_000, max: 30_000 };
  const known = new Map<string, KnownObject>();
  let resourceVersion: string | undefined;
  let stopped = false;
  let controller: AbortController | undefined;
  let wake: () => void = () => undefined;
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const emit = (type: SeenEvent["type"], object: SeenEvent["object"]) => {
    if (!stopped) options.onEvent({ kind, type, object, observedAt: new Date() });
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, ms)));

  function remember(raw: unknown): { key: string; entry: KnownObject } {
    const object = trimObject(kind, raw as Record<string, unknown>);
    const meta = object.metadata as { uid?: string; resourceVersion?: string };
    return { key: objectKey(object as { metadata: { namespace?: string; name?: string } }), entry: { uid: meta.uid, resourceVersion: String(meta.resourceVersion ?? ""), object } };
  }

  async function relist(): Promise<void> {
    const listed = new Map<string, KnownObject>();
    let page: ListPage | undefined;
    let token: string | undefined;
    do {
      page = await list(token === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, _continue: token });
      for (const item of page.items) {
        const { key, entry } = remember(JSON.parse(JSON.stringify(item)));
        listed.set(key, entry);
      }
      token = page.metadata?._continue || undefined;
    } while (token !== undefined);
    const events = diffRelist(known, listed);
    known.clear();
    for (const [key, entry] of listed) known.set(key, entry);
    resourceVersion = page.metadata?.resourceVersion;
    log("info", "listed", { kind, objects: listed.size, events: events.length, resourceVersion });
    for (const event of events) emit(event.type, event.object as SeenEvent["object"]);
  }

  /** One watch from `resourceVersion`; resolves with why it ended. */
  function watchOnce(): Promise<"ended" | "expired" | Error> {
    return new Promise((resolve) => {
      let outcome: "ended" | "expired" | Error = "ended";
      const onLine = (type: string, raw: unknown) => {
        if (stopped) return;
        const rv = (raw as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
        if (type === "ERROR") {
          const status = raw as { code?: number; reason?: string; message?: string };
          outcome = status.code === 410 ? "expired" : new Error(`watch error ${status.code ?? "?"} ${status.reason ?? ""}: ${status.message ?? ""}`);
          controller?.abort();
          return;
        }
        if (rv) resourceVersion = rv;
        if (type === "BOOKMARK") return;
        if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
        const { key, entry } = remember(raw);
        const before = known.get(key);
        // A resumed watch never repeats an event, but a server that does (or a replay after reconnect) must not
        // make the collector post the same version twice.
        if (type !== "DELETED" && before?.resourceVersion === entry.resourceVersion) return;
        if (type === "DELETED") known.delete(key);
        else known.set(key, entry);
        emit(type, entry.object as SeenEvent["object"]);
      };
      const onDone = (error: unknown) => {
        const status = (error as { statusCode?: number } | null)?.statusCode;
        if (status === 410) outcome = "expired";
        else if (error && outcome === "ended" && !stopped && (error as Error).name !== "AbortError") outcome = error instanceof Error ? error : new Error(String(error));
        resolve(outcome);
      };
      watch
        .watch(WATCH_PATHS[kind], { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() }, onLine, onDone)
        .then((c) => {
          controller = c;
          if (stopped) c.abort();
        }, onDone);
    });
  }

  async function loop(): Promise<void> {
    let needList = true;
    let delay = retry.first;
    while (!stopped) {
      try {
        if (needList) {
          await relist();
          needList = false;
          markSynced();
        }
        const startedAt = Date.now();
        const outcome = await watchOnce();
        if (stopped) break;
        if (outcome === "expired") {
          log("warn", "watch expired (410 Gone); listing again", { kind, resourceVersion });
          needList = true;
          continue;
        }
        if (outcome instanceof Error) throw outcome;
        log("info", "watch ended; resuming", { kind, resourceVersion });
        // A server that closes every watch at once must not turn this loop into a busy one.
        if (Date.now() - startedAt < 1_000) await sleep(Math.min(delay, 1_000));
        delay = retry.first;
      } catch (error) {
        if (stopped) break;
        log("warn", needList ? "list failed" : "watch failed", { kind, error: String(error), retryInMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, retry.max);
      }
    }
  }

  const done = loop();
  return {
    synced,
    async stop() {
      stopped = true;
      controller?.abort();
      wake();
      // A list the API server never answers must not hold up shutdown: nothing is emitted after `stopped` anyway.
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    },
  };
}
