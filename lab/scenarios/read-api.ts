/**
 * The few reads of natwatch's read API (docs/api.md) a scenario needs: which captures of which nodes have arrived,
 * and the endpoint traffic natwatch derived from the nat counters.
 */
import { CLUSTER_NAME } from "../cluster/topology";

export interface NodeCaptureState {
  name: string;
  /** The node's latest capture (capturedAt), epoch ms; 0 before its first. */
  lastCaptureAt: number;
  captures: number;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T | null }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  return { status: response.status, body: response.ok ? (JSON.parse(text) as T) : null };
}

/** The nodes natwatch has captures of (none while the cluster is unknown). */
export async function readNodeCaptures(server: string): Promise<NodeCaptureState[]> {
  const { status, body } = await getJson<{ nodes: { name: string; lastCaptureAt: string; captures: number }[] }>(`${server}/api/v1/clusters/${CLUSTER_NAME}/nodes`);
  if (status === 404 || !body) return [];
  return body.nodes.map((n) => ({ name: n.name, lastCaptureAt: Date.parse(n.lastCaptureAt), captures: n.captures }));
}

/**
 * Waits until every node in `after` has a capture taken at or after its time (epoch ms) stored in natwatch — a
 * capture whose commands started after the change, so it shows it. Returns the capture times seen.
 */
export async function waitForCaptures(server: string, after: ReadonlyMap<string, number>, timeoutMs = 60_000): Promise<Record<string, string>> {
  const until = Date.now() + timeoutMs;
  let last: NodeCaptureState[] = [];
  while (Date.now() < until) {
    last = await readNodeCaptures(server).catch(() => last);
    const byName = new Map(last.map((n) => [n.name, n]));
    if ([...after].every(([name, at]) => (byName.get(name)?.lastCaptureAt ?? 0) >= at)) {
      return Object.fromEntries([...after.keys()].map((name) => [name, new Date(byName.get(name)!.lastCaptureAt).toISOString()]));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const missing = [...after]
    .filter(([name, at]) => (last.find((n) => n.name === name)?.lastCaptureAt ?? 0) < at)
    .map(([name, at]) => `${name} (wanted a capture taken at or after ${new Date(at).toISOString()})`);
  throw new Error(`natwatch did not receive captures of ${missing.join(", ")} within ${timeoutMs} ms`);
}

/** Per node and endpoint, the new connections natwatch derived for a service port (`/endpoint-traffic`). */
export interface EndpointTrafficRead {
  nodes: { node: string; newConnections: number; endpoints: { endpoint: string; newConnections: number; configuredShare: number | null }[] }[];
  overall: { newConnections: number; endpoints: { endpoint: string; newConnections: number }[] };
}

export async function readEndpointTraffic(server: string, servicePort: string, from = "1h"): Promise<EndpointTrafficRead> {
  const query = new URLSearchParams({ service: servicePort, from, to: "now" });
  const { status, body } = await getJson<EndpointTrafficRead>(`${server}/api/v1/clusters/${CLUSTER_NAME}/endpoint-traffic?${query}`);
  if (!body) throw new Error(`endpoint traffic of ${servicePort}: HTTP ${status}`);
  return body;
}
