import { expect, type APIRequestContext } from "@playwright/test";

/** The demo cluster the e2e server loads. */
export const CLUSTER = "myk8s";

/** The parts of the read API's answers the dashboard specs derive their expectations from (docs/api.md). */
export interface ApiNode {
  name: string;
  role: string;
  mode: string | null;
  backend: string | null;
  lastCaptureAt: string;
  current: { ipv4?: { snapshotId: number; chains: number } };
}
export interface ApiServiceNode {
  node: string;
  present: boolean;
  agrees: boolean;
  svcChain: string | null;
  clusterIPs: string[];
  endpoints: { address: string; sepChain: string }[];
}
export interface ApiServicePort {
  name: string;
  segment: string;
  nodes: ApiServiceNode[];
}
export interface ApiSnapshot {
  id: number;
  firstSeen: string;
}
export interface ApiRulesetChain {
  table: string;
  chain: string;
  rules: string[];
}

export async function getJson<T>(request: APIRequestContext, path: string): Promise<T> {
  const response = await request.get(path);
  expect(response.ok(), `${path}: ${response.status()}`).toBe(true);
  return (await response.json()) as T;
}

export const apiNodes = async (request: APIRequestContext) => (await getJson<{ nodes: ApiNode[] }>(request, `/api/v1/clusters/${CLUSTER}/nodes`)).nodes;

export const apiServicePorts = async (request: APIRequestContext) =>
  (await getJson<{ servicePorts: ApiServicePort[] }>(request, `/api/v1/clusters/${CLUSTER}/services?limit=1000`)).servicePorts;

/** Nodes outside the majority on some service port, by name. */
export function disagreeingNodes(ports: readonly ApiServicePort[]): Set<string> {
  return new Set(ports.flatMap((p) => p.nodes.filter((n) => !n.agrees).map((n) => n.node)));
}

/** The demo's svc-clusterip port: the seed's service. */
export function webPort(ports: readonly ApiServicePort[]): ApiServicePort {
  const port = ports.find((p) => p.name.startsWith("default/svc-clusterip"));
  expect(port, "the demo has svc-clusterip").toBeTruthy();
  return port!;
}
