/**
 * A small Kubernetes API server over plain HTTP for the lab and for tests: list and watch of Pods, Services,
 * EndpointSlices and Nodes on the real paths and in the real wire format, so `@kubernetes/client-node` talks to it
 * exactly as it talks to kube-apiserver.
 *
 * Watches stream newline-delimited JSON `{ type, object }` (chunked; one event per line), start after the requested
 * resourceVersion, and answer a compacted resourceVersion the way kube-apiserver does: HTTP 200 with one ERROR event
 * carrying a 410 `Status` ("Expired"), then the end of the stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { API_VERSIONS, createObjectStore, type ControlPlaneKind, type KubeObject, type StoredChange } from "./object-store";

export type { ControlPlaneKind, KubeObject } from "./object-store";

/** A running control plane. */
export interface ControlPlane {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Creates or replaces an object (ADDED or MODIFIED to watchers); returns it as stored. */
  apply(kind: ControlPlaneKind, object: KubeObject): KubeObject;
  /** Deletes an object (DELETED to watchers); false when there was none. */
  remove(kind: ControlPlaneKind, namespace: string, name: string): boolean;
  /** Current objects of a kind. */
  list(kind: ControlPlaneKind, namespace?: string): KubeObject[];
  /** The latest resourceVersion. */
  resourceVersion(): number;
  /** Ends every open watch stream, as a restarting API server or a load balancer's idle timeout does. */
  dropWatches(): number;
  /** Forgets the change history: a watch from any resourceVersion before now gets 410 Gone. */
  compact(): void;
  /** Sends a BOOKMARK with the current resourceVersion to every watch that allowed bookmarks. */
  sendBookmarks(): void;
  /** How many watch streams are open. */
  openWatches(): number;
  /** Every request line served (`GET /api/v1/pods?watch=true&…`), for tests. */
  requests(): string[];
  stop(): Promise<void>;
}

/** Options of `startControlPlane`. */
export interface ControlPlaneOptions {
  /** Port to listen on (default: any free one). */
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Changes kept for watches to resume from (default 10 000). */
  historyLimit?: number;
}

interface Route {
  kind: ControlPlaneKind;
  namespace?: string;
}

const PLURALS: Record<string, ControlPlaneKind> = { pods: "Pod", services: "Service", nodes: "Node", endpointslices: "EndpointSlice" };

/** `/api/v1/pods`, `/api/v1/namespaces/{ns}/pods`, `/apis/discovery.k8s.io/v1/endpointslices`, … → kind and namespace. */
export function routeOf(pathname: string): Route | null {
  const match = /^\/(?:api\/v1|apis\/discovery\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(pathname);
  if (!match) return null;
  const kind = PLURALS[match[2] as string];
  if (!kind) return null;
  const group = pathname.startsWith("/apis/") ? "discovery.k8s.io/v1" : "v1";
  if (API_VERSIONS[kind] !== group || (kind === "Node" && match[1] !== undefined)) return null;
  return match[1] === undefined ? { kind } : { kind, namespace: decodeURIComponent(match[1]) };
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
}

/**
 * `limit` and `continue` of a list. The continue token carries the first page's resourceVersion and the last key
 * served, and every page reports that first resourceVersion, as kube-apiserver does. Unlike it, later pages show the
 * objects' current state rather than a snapshot: a change between pages then appears both in a page and in the watch
 * that follows, which a client must tolerate (its resourceVersion is the same in both).
 */
function pageOf(items: KubeObject[], current: number, query: URLSearchParams): { items: KubeObject[]; resourceVersion: string; continue?: string } | "bad continue" {
  const limit = Number(query.get("limit"));
  const token = query.get("continue");
  let resourceVersion = String(current);
  let rest = items;
  if (token) {
    let decoded: { rv?: unknown; after?: unknown };
    try {
      decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { rv?: unknown; after?: unknown };
    } catch {
      return "bad continue";
    }
    if (typeof decoded.rv !== "string" || typeof decoded.after !== "string") return "bad continue";
    resourceVersion = decoded.rv;
    const after = decoded.after;
    rest = items.filter((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}` > after);
  }
  if (!(limit > 0) || rest.length <= limit) return { items: rest, resourceVersion };
  const pageItems = rest.slice(0, limit);
  const last = pageItems.at(-1) as KubeObject;
  const next = Buffer.from(JSON.stringify({ rv: resourceVersion, after: `${last.metadata.namespace ?? ""}/${last.metadata.name}` })).toString("base64url");
  return { items: pageItems, resourceVersion, continue: next };
}

/**
 * Equality-based label selectors of lists (`app=webpod,tier!=db`) and bare keys (`app`: the label exists), the forms
 * kubectl's `-l` usually takes. Set-based ones (`app in (a,b)`) are not understood; watches ignore selectors.
 */
function labelFilter(selector: string | null): (object: KubeObject) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(",").map((term) => {
    const match = /^\s*([^!=\s]+)\s*(!=|==|=)\s*([^\s]*)\s*$/.exec(term);
    return match ? { key: match[1] as string, equal: match[2] !== "!=", value: match[3] as string } : { key: term.trim(), equal: true, value: undefined };
  });
  return (object) => {
    const labels = (object.metadata.labels ?? {}) as Record<string, string>;
    return terms.every((t) => (t.value === undefined ? t.key in labels : (labels[t.key] === t.value) === t.equal));
  };
}

interface OpenWatch {
  route: Route;
  res: ServerResponse;
  bookmarks: boolean;
}

/** Starts a control plane on 127.0.0.1. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const store = createObjectStore({ historyLimit: options.historyLimit });
  const watches = new Set<OpenWatch>();
  const served: string[] = [];

  const write = (watch: OpenWatch, type: string, object: unknown) => watch.res.write(`${JSON.stringify({ type, object })}\n`);
  const matches = (route: Route, change: StoredChange) =>
    route.kind === change.kind && (route.namespace === undefined || route.namespace === change.object.metadata.namespace);

  store.subscribe((change) => {
    for (const watch of watches) if (matches(watch.route, change)) write(watch, change.type, change.object);
  });

  function serveList(res: ServerResponse, route: Route, query: URLSearchParams): void {
    const selected = store.list(route.kind, route.namespace, { shared: true }).filter(labelFilter(query.get("labelSelector")));
    const page = pageOf(selected, store.resourceVersion(), query);
    if (page === "bad continue") return status(res, 400, "BadRequest", "invalid continue token");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: `${route.kind}List`,
        apiVersion: API_VERSIONS[route.kind],
        metadata: { resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) },
        items: page.items,
      }),
    );
  }

  function serveWatch(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): void {
    const requested = query.get("resourceVersion");
    const watch: OpenWatch = { route, res, bookmarks: query.get("allowWatchBookmarks") === "true" };
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    // Clients (client-node's Watch included) resolve their request on the headers: send them before any event.
    res.flushHeaders();
    // Without a resourceVersion (or with "0") the API server first sends the current state as synthetic ADDED events.
    if (requested === null || requested === "" || requested === "0") {
      for (const object of store.list(route.kind, route.namespace, { shared: true })) write(watch, "ADDED", object);
    } else {
      const since = Number(requested);
      const changes = Number.isInteger(since) ? store.changesSince(route.kind, since) : "expired";
      if (changes === "expired") {
        write(watch, "ERROR", {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `too old resource version: ${requested} (${store.resourceVersion()})`,
          reason: "Expired",
          code: 410,
        });
        res.end();
        return;
      }
      for (const change of changes) if (matches(route, change)) write(watch, change.type, change.object);
    }
    watches.add(watch);
    const timeoutSeconds = Number(query.get("timeoutSeconds"));
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const forget = () => {
      clearTimeout(timer);
      watches.delete(watch);
    };
    res.once("close", forget);
    req.once("close", forget);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://control-plane");
    served.push(`${req.method} ${url.pathname}${url.search}`);
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      status(res, 401, "Unauthorized", "Unauthorized");
      return;
    }
    const route = routeOf(url.pathname);
    if (!route) return status(res, 404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    if (req.method !== "GET") return status(res, 405, "MethodNotAllowed", `${req.method} is not supported here`);
    if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1") serveWatch(req, res, route, url.searchParams);
    else serveList(res, route, url.searchParams);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apply: store.apply,
    remove: store.remove,
    list: (kind, namespace) => store.list(kind, namespace),
    resourceVersion: store.resourceVersion,
    dropWatches() {
      const count = watches.size;
      for (const watch of [...watches]) watch.res.end();
      watches.clear();
      return count;
    },
    compact: store.compact,
    sendBookmarks() {
      for (const watch of watches) {
        if (!watch.bookmarks) continue;
        const kind = watch.route.kind;
        write(watch, "BOOKMARK", { kind, apiVersion: API_VERSIONS[kind], metadata: { resourceVersion: String(store.resourceVersion()) } });
      }
    },
    openWatches: () => watches.size,
    requests: () => [...served],
    async stop() {
      for (const watch of watches) watch.res.destroy();
      watches.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
