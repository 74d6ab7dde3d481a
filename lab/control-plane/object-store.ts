/**
 * The control plane's memory: Pods, Services, EndpointSlices and Nodes with one global resourceVersion counter, as
 * etcd gives kube-apiserver, and the recent history of changes that watches replay from.
 *
 * Like the real API server, a watch from resourceVersion N gets every change after N — as long as N is inside the
 * retained window. Older versions are "compacted" away (etcd compacts every 5 minutes by default) and the watch is
 * answered with 410 Gone, which forces a client to list again.
 */
import { randomUUID } from "node:crypto";

/** The kinds the control plane serves. */
export type ControlPlaneKind = "Pod" | "Service" | "EndpointSlice" | "Node";

/** A Kubernetes object in its JSON form. */
export type KubeObject = Record<string, unknown> & { metadata: ObjectMeta };

/** The part of `metadata` the store reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  [field: string]: unknown;
}

/** A watch event as the API server streams it. */
export interface StoredChange {
  rv: number;
  kind: ControlPlaneKind;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
}

/** The apiVersion each kind is served under. */
export const API_VERSIONS: Record<ControlPlaneKind, string> = {
  Pod: "v1",
  Service: "v1",
  EndpointSlice: "discovery.k8s.io/v1",
  Node: "v1",
};

/** The store: state, history and the listeners open watches register. */
export interface ObjectStore {
  /** The latest resourceVersion handed out. */
  resourceVersion(): number;
  /** Creates or replaces an object; returns it as stored (uid, resourceVersion, creationTimestamp filled in). */
  apply(kind: ControlPlaneKind, object: KubeObject): KubeObject;
  /** Deletes an object; false when there was none. */
  remove(kind: ControlPlaneKind, namespace: string, name: string): boolean;
  /** Current objects of a kind, optionally of one namespace, in name order (copies unless `shared`, for serializing at once). */
  list(kind: ControlPlaneKind, namespace?: string, options?: { shared?: boolean }): KubeObject[];
  /** Changes of a kind after `rv`, or "expired" when some of them were compacted away. */
  changesSince(kind: ControlPlaneKind, rv: number): StoredChange[] | "expired";
  /** Forgets all history up to now: a watch from any older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (change: StoredChange) => void): () => void;
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;
const clone = <T>(value: T): T => structuredClone(value);

/** Creates an empty store keeping at most `historyLimit` changes (older ones are compacted). */
export function createObjectStore(options: { historyLimit?: number } = {}): ObjectStore {
  const historyLimit = options.historyLimit ?? 10_000;
  let rv = 1;
  // Every change with rv ≤ compactedThrough is gone from history.
  let compactedThrough = 1;
  const history: StoredChange[] = [];
  const objects = new Map<ControlPlaneKind, Map<string, KubeObject>>();
  const listeners = new Set<(change: StoredChange) => void>();

  const objectsOf = (kind: ControlPlaneKind) => {
    let map = objects.get(kind);
    if (!map) objects.set(kind, (map = new Map()));
    return map;
  };

  function record(change: StoredChange): void {
    history.push(change);
    while (history.length > historyLimit) compactedThrough = (history.shift() as StoredChange).rv;
    for (const listener of listeners) listener(change);
  }

  return {
    resourceVersion: () => rv,
    apply(kind, input) {
      const map = objectsOf(kind);
      const key = keyOf(input.metadata.namespace, input.metadata.name);
      const previous = map.get(key);
      rv++;
      const object: KubeObject = {
        ...clone(input),
        kind,
        apiVersion: API_VERSIONS[kind],
        metadata: {
          ...clone(input.metadata),
          uid: previous?.metadata.uid ?? input.metadata.uid ?? randomUUID(),
          creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          resourceVersion: String(rv),
        },
      };
      map.set(key, object);
      record({ rv, kind, type: previous ? "MODIFIED" : "ADDED", object: clone(object) });
      return clone(object);
    },
    remove(kind, namespace, name) {
      const map = objectsOf(kind);
      const key = keyOf(kind === "Node" ? undefined : namespace, name);
      const previous = map.get(key);
      if (!previous) return false;
      map.delete(key);
      rv++;
      // A DELETED event carries the object's last state stamped with the deletion's resourceVersion.
      const object = { ...clone(previous), metadata: { ...clone(previous.metadata), resourceVersion: String(rv) } };
      record({ rv, kind, type: "DELETED", object });
      return true;
    },
    list(kind, namespace, listOptions) {
      const listed = [...objectsOf(kind).values()]
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        // Code-unit order (not locale order): list pages continue after a key compared with `>`.
        .sort((a, b) => {
          const [x, y] = [keyOf(a.metadata.namespace, a.metadata.name), keyOf(b.metadata.namespace, b.metadata.name)];
          return x < y ? -1 : x > y ? 1 : 0;
        });
      // Copying every object of a 10k-pod list for each 500-object page made paged lists 7× slower than one list.
      return listOptions?.shared ? listed : listed.map(clone);
    },
    changesSince(kind, since) {
      if (since < compactedThrough) return "expired";
      return history.filter((c) => c.kind === kind && c.rv > since).map(clone);
    },
    compact() {
      history.length = 0;
      compactedThrough = rv;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
