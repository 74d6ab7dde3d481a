import type { EndpointModel, ProxyModel, ServicePath, ServicePortModel } from "../kube-proxy/types";
import type { EndpointShareChange, ServiceChange } from "./types";

/**
 * Shares are floats derived from 11-decimal probabilities; two shares closer than this are the same weight.
 * (The kernel quantizes probabilities to 1/2^31, far finer than this.)
 */
const SHARE_EPSILON = 1e-6;

const pathKey = (p: ServicePath) => `${p.kind}\u0000${p.destination}\u0000${p.chains.join(">")}\u0000${p.masquerade}`;

/**
 * The meaningful changes between two models of the same node (or of two nodes): what a person would call a
 * change of the service, not of the rules. kube-proxy rewrites whole chains on every sync, reorders endpoints and
 * resets counters; none of that is a change here. Changes come sorted by service port, then in a fixed kind order.
 */
export function diffServiceModels(before: ProxyModel, after: ProxyModel): ServiceChange[] {
  // Models list their ports sorted by (name, protocol); walking both lists in step needs no keys or maps, which
  // matters when 10k ports are compared to find the hundred that changed.
  const prevPorts = sortedPorts(before.servicePorts);
  const nextPorts = sortedPorts(after.servicePorts);
  const changes: ServiceChange[] = [];
  let i = 0;
  let j = 0;
  while (i < prevPorts.length || j < nextPorts.length) {
    const prev = prevPorts[i];
    const next = nextPorts[j];
    const order = !prev ? 1 : !next ? -1 : comparePorts(prev, next);
    if (order === 0) {
      changes.push(...diffServicePort(prev!, next!));
      i++;
      j++;
    } else if (order < 0) {
      changes.push(serviceRemoved(prev!));
      i++;
    } else {
      changes.push(serviceAdded(next!));
      j++;
    }
  }
  return changes.sort(
    (a, b) =>
      compareStrings(a.servicePort, b.servicePort) ||
      compareStrings(a.protocol, b.protocol) ||
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind),
  );
}

function comparePorts(a: ServicePortModel, b: ServicePortModel): number {
  return compareStrings(a.name, b.name) || compareStrings(a.protocol, b.protocol);
}

/** The ports in (name, protocol) order: the array itself when it already is (the usual case), else a sorted copy. */
function sortedPorts(ports: readonly ServicePortModel[]): readonly ServicePortModel[] {
  for (let k = 1; k < ports.length; k++) {
    if (comparePorts(ports[k - 1]!, ports[k]!) > 0) return [...ports].sort(comparePorts);
  }
  return ports;
}

const KIND_ORDER: ServiceChange["kind"][] = [
  "service-added",
  "service-removed",
  "endpoint-removed",
  "endpoint-added",
  "weight-changed",
  "path-removed",
  "path-added",
  "affinity-changed",
  "traffic-policy-changed",
  "no-endpoints-changed",
];

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function serviceAdded(port: ServicePortModel): ServiceChange {
  return {
    servicePort: port.name,
    protocol: port.protocol,
    kind: "service-added",
    summary: `service port added with ${describeEndpoints(port.endpoints)} via ${describePaths(port.paths)}`,
  };
}

function serviceRemoved(port: ServicePortModel): ServiceChange {
  return {
    servicePort: port.name,
    protocol: port.protocol,
    kind: "service-removed",
    summary: `service port removed (had ${describeEndpoints(port.endpoints)})`,
  };
}

/** Changes of one service port present on both sides. */
export function diffServicePort(prev: ServicePortModel, next: ServicePortModel): ServiceChange[] {
  if (sameService(prev, next)) return [];
  return [
    ...diffEndpoints(prev, next),
    ...diffWeights(prev, next),
    ...diffPaths(prev, next),
    ...diffSettings(prev, next),
  ];
}

/**
 * Allocation-free check for the common case — between two captures almost every service port is unchanged —
 * so that a 10k-service diff spends its time on the few that changed. Exact equality in rule order; anything else
 * (a reorder included) falls through to the full comparison, which ignores order.
 */
function sameService(prev: ServicePortModel, next: ServicePortModel): boolean {
  if (
    prev.affinitySeconds !== next.affinitySeconds ||
    prev.externalTrafficPolicy !== next.externalTrafficPolicy ||
    prev.internalTrafficPolicy !== next.internalTrafficPolicy ||
    prev.endpoints.length !== next.endpoints.length ||
    prev.paths.length !== next.paths.length ||
    prev.noEndpoints.length !== next.noEndpoints.length
  ) {
    return false;
  }
  for (let i = 0; i < prev.endpoints.length; i++) {
    const a = prev.endpoints[i]!;
    const b = next.endpoints[i]!;
    // Numbers and shared constants first: the addresses of two captures are distinct strings, compared by content.
    if (Math.abs(a.share - b.share) > SHARE_EPSILON || a.via !== b.via || a.address !== b.address) return false;
  }
  for (let i = 0; i < prev.paths.length; i++) {
    const a = prev.paths[i]!;
    const b = next.paths[i]!;
    if (a.kind !== b.kind || a.destination !== b.destination || a.masquerade !== b.masquerade || a.chains.length !== b.chains.length) return false;
    for (let j = 0; j < a.chains.length; j++) if (a.chains[j] !== b.chains[j]) return false;
  }
  for (let i = 0; i < prev.noEndpoints.length; i++) {
    const a = prev.noEndpoints[i]!;
    const b = next.noEndpoints[i]!;
    if (a.action !== b.action || a.destination !== b.destination || a.reason !== b.reason) return false;
  }
  return true;
}

function diffEndpoints(prev: ServicePortModel, next: ServicePortModel): ServiceChange[] {
  const prevAddresses = new Set(prev.endpoints.map((e) => e.address));
  const nextAddresses = new Set(next.endpoints.map((e) => e.address));
  const removed = prev.endpoints.filter((e) => !nextAddresses.has(e.address));
  const added = next.endpoints.filter((e) => !prevAddresses.has(e.address));
  const base = { servicePort: next.name, protocol: next.protocol };
  const changes: ServiceChange[] = [];

  // Pair removals with additions in rule order: when a pod restarts, its old endpoint goes and the new one comes
  // in the same sync, so each pair reads as one replacement.
  removed.forEach((endpoint, i) => {
    const successor = added[i];
    changes.push({
      ...base,
      kind: "endpoint-removed",
      endpoint: endpointRef(endpoint),
      ...(successor ? { replacedBy: successor.address } : {}),
      summary: successor
        ? `endpoint ${endpoint.address} (${endpoint.sepChain}) replaced by ${successor.address} (${successor.sepChain})`
        : `endpoint ${endpoint.address} (${endpoint.sepChain}) removed`,
    });
  });
  added.forEach((endpoint, i) => {
    const predecessor = removed[i];
    changes.push({
      ...base,
      kind: "endpoint-added",
      endpoint: endpointRef(endpoint),
      ...(predecessor ? { replaces: predecessor.address } : {}),
      summary: predecessor
        ? `endpoint ${endpoint.address} (${endpoint.sepChain}) replaces ${predecessor.address}`
        : `endpoint ${endpoint.address} (${endpoint.sepChain}) added`,
    });
  });
  return changes;
}

function endpointRef(e: EndpointModel): NonNullable<ServiceChange["endpoint"]> {
  return { address: e.address, sepChain: e.sepChain, share: e.share, via: e.via };
}

/**
 * kube-proxy spreads connections evenly, so adding or removing endpoints changes every share from 1/n to 1/m.
 * That redistribution is already told by the endpoint changes; a weight change is reported only when the shares
 * of the endpoints both sides have differ *and* the difference is not that even redistribution (a node with a
 * stale or hand-edited ladder, or a kube-proxy version that writes a different one).
 */
function diffWeights(prev: ServicePortModel, next: ServicePortModel): ServiceChange[] {
  const prevShare = new Map(prev.endpoints.map((e) => [shareKey(e), e.share]));
  const nextShare = new Map(next.endpoints.map((e) => [shareKey(e), e.share]));
  let commonDiffers = false;
  for (const [key, share] of nextShare) {
    const before = prevShare.get(key);
    if (before !== undefined && Math.abs(before - share) > SHARE_EPSILON) commonDiffers = true;
  }
  if (!commonDiffers) return [];
  const sameSet = prevShare.size === nextShare.size && [...nextShare.keys()].every((k) => prevShare.has(k));
  if (!sameSet && isEven(prev.endpoints) && isEven(next.endpoints)) return [];

  const addresses = [...new Set([...prev.endpoints, ...next.endpoints].map((e) => e.address))];
  const shares: EndpointShareChange[] = addresses.map((address) => ({
    address,
    before: prev.endpoints.find((e) => e.address === address)?.share ?? null,
    after: next.endpoints.find((e) => e.address === address)?.share ?? null,
  }));
  return [
    {
      servicePort: next.name,
      protocol: next.protocol,
      kind: "weight-changed",
      shares,
      summary: `shares changed: ${shares
        .map((s) => `${s.address} ${formatShare(s.before)} → ${formatShare(s.after)}`)
        .join(", ")}`,
    },
  ];
}

const shareKey = (e: EndpointModel) => `${e.via}\u0000${e.address}`;

/** True when each balancing chain (cluster, local) splits its connections evenly. */
function isEven(endpoints: readonly EndpointModel[]): boolean {
  for (const via of ["cluster", "local"] as const) {
    const group = endpoints.filter((e) => e.via === via);
    if (group.some((e) => Math.abs(e.share - 1 / group.length) > SHARE_EPSILON)) return false;
  }
  return true;
}

function diffPaths(prev: ServicePortModel, next: ServicePortModel): ServiceChange[] {
  const prevKeys = new Set(prev.paths.map(pathKey));
  const nextKeys = new Set(next.paths.map(pathKey));
  const base = { servicePort: next.name, protocol: next.protocol };
  return [
    ...prev.paths
      .filter((p) => !nextKeys.has(pathKey(p)))
      .map((path): ServiceChange => ({ ...base, kind: "path-removed", path, summary: `path removed: ${describePath(path)}` })),
    ...next.paths
      .filter((p) => !prevKeys.has(pathKey(p)))
      .map((path): ServiceChange => ({ ...base, kind: "path-added", path, summary: `path added: ${describePath(path)}` })),
  ];
}

function diffSettings(prev: ServicePortModel, next: ServicePortModel): ServiceChange[] {
  const base = { servicePort: next.name, protocol: next.protocol };
  const changes: ServiceChange[] = [];
  if (prev.affinitySeconds !== next.affinitySeconds) {
    changes.push({
      ...base,
      kind: "affinity-changed",
      before: prev.affinitySeconds,
      after: next.affinitySeconds,
      summary: `session affinity ${describeAffinity(prev.affinitySeconds)} → ${describeAffinity(next.affinitySeconds)}`,
    });
  }
  if (
    prev.externalTrafficPolicy !== next.externalTrafficPolicy ||
    prev.internalTrafficPolicy !== next.internalTrafficPolicy
  ) {
    const before = { external: prev.externalTrafficPolicy, internal: prev.internalTrafficPolicy };
    const after = { external: next.externalTrafficPolicy, internal: next.internalTrafficPolicy };
    changes.push({
      ...base,
      kind: "traffic-policy-changed",
      before,
      after,
      summary: `traffic policy external ${before.external}/internal ${before.internal} → external ${after.external}/internal ${after.internal}`,
    });
  }
  const prevVerdicts = canonicalVerdicts(prev);
  const nextVerdicts = canonicalVerdicts(next);
  if (prevVerdicts !== nextVerdicts) {
    changes.push({
      ...base,
      kind: "no-endpoints-changed",
      before: prev.noEndpoints,
      after: next.noEndpoints,
      summary: next.noEndpoints.length
        ? `traffic now refused: ${next.noEndpoints.map((v) => `${v.action} ${v.destination} (${v.reason})`).join(", ")}`
        : "traffic no longer refused for lack of endpoints",
    });
  }
  return changes;
}

const canonicalVerdicts = (p: ServicePortModel) =>
  p.noEndpoints
    .map((v) => `${v.action} ${v.destination} ${v.reason}`)
    .sort()
    .join("\n");

function describeEndpoints(endpoints: readonly EndpointModel[]): string {
  if (endpoints.length === 0) return "no endpoints";
  return `${endpoints.length} endpoint${endpoints.length === 1 ? "" : "s"} (${endpoints.map((e) => e.address).join(", ")})`;
}

function describePaths(paths: readonly ServicePath[]): string {
  return paths.length ? paths.map(describePath).join("; ") : "no entry path";
}

function describePath(path: ServicePath): string {
  return `${path.kind} ${path.destination} (${path.chains.join(" → ")})`;
}

function describeAffinity(seconds: number | null): string {
  return seconds === null ? "off" : `ClientIP ${seconds}s`;
}

function formatShare(share: number | null): string {
  return share === null ? "—" : `${(share * 100).toFixed(1)}%`;
}
