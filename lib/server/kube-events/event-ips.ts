/**
 * The IP addresses a Kubernetes object names, as KubeEventIp keeps them: the link from an endpoint in the rules
 * (`10.244.1.5:80`) to the events around its chain's change. Read defensively: objects arrive in the API's JSON form
 * and fields are absent while a pod is pending or a slice is empty.
 */
import type { KubeKind } from "../../contracts/kube-events";

type Json = Record<string, unknown>;

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asObject = (value: unknown): Json => (value !== null && typeof value === "object" ? (value as Json) : {});
const asString = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/**
 * Pod: `status.podIPs[].ip` and `status.podIP`. EndpointSlice: every `endpoints[].addresses[]`. Service: its
 * cluster IPs (not `None`). Node: its InternalIP/ExternalIP addresses. Unique, in first-seen order.
 */
export function ipsOfObject(kind: KubeKind, object: Json): string[] {
  const ips: (string | null)[] = [];
  if (kind === "Pod") {
    const status = asObject(object.status);
    for (const entry of asArray(status.podIPs)) ips.push(asString(asObject(entry).ip));
    ips.push(asString(status.podIP));
  } else if (kind === "EndpointSlice") {
    for (const endpoint of asArray(object.endpoints)) for (const address of asArray(asObject(endpoint).addresses)) ips.push(asString(address));
  } else if (kind === "Service") {
    const spec = asObject(object.spec);
    for (const ip of asArray(spec.clusterIPs)) ips.push(asString(ip));
    ips.push(asString(spec.clusterIP));
  } else {
    for (const address of asArray(asObject(object.status).addresses)) {
      const { type, address: ip } = asObject(address);
      if (type === "InternalIP" || type === "ExternalIP") ips.push(asString(ip));
    }
  }
  return [...new Set(ips.filter((ip): ip is string => ip !== null && ip !== "None").map(normalizeIp))];
}

/** IPv6 in lower case, so that rule text and API objects agree. */
export function normalizeIp(ip: string): string {
  return ip.includes(":") ? ip.toLowerCase() : ip;
}
