/**
 * The service view's URL: `/services/{namespace}~{name}:{port}~{protocol}`.
 *
 * The name part is the read API's segment (lib/server/queries/service-port-segment.ts: the slash written as `~`).
 * The protocol is appended after a second `~`: a service port name holds exactly one slash, so a segment holds one
 * `~` without a protocol and two with one, and no name (a DNS label, an IANA port name) can contain `~` — the split
 * is exact both ways. kube-proxy keys a service port by name *and* protocol (its chain hash covers both), so the URL
 * names both; a link without the protocol (`default~svc-clusterip:svc-webport`) still opens the port.
 */
import { decodePathSegment, parseServicePortSegment, servicePortSegment } from "@/lib/server/queries/service-port-segment";
import { viewHref } from "./view-params";

const PROTOCOLS = ["tcp", "udp", "sctp"] as const;
export type ServicePortProtocol = (typeof PROTOCOLS)[number];

/** What the service view's path segment names. */
export interface ServicePortRef {
  /** `namespace/name:port` as kube-proxy writes it. */
  name: string;
  /** Null when the segment gives no protocol. */
  protocol: ServicePortProtocol | null;
}

/** The path segment of a service port and protocol. */
export function servicePortParam(name: string, protocol: string): string {
  return `${servicePortSegment(name)}~${protocol.toLowerCase()}`;
}

/** The service port a path segment names, or null when it names none. Accepts percent-encoded segments. */
export function parseServicePortParam(segment: string): ServicePortRef | null {
  const text = decodePathSegment(segment);
  if (text === null) return null;
  const parts = text.split("~");
  if (parts.length === 3) {
    const protocol = (parts[2] as string).toLowerCase();
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) return null;
    const name = parseServicePortSegment(`${parts[0]}~${parts[1]}`);
    return name ? { name, protocol: protocol as ServicePortProtocol } : null;
  }
  const name = parseServicePortSegment(text);
  return name ? { name, protocol: null } : null;
}

/** A link to the service view, keeping the given query (the user's context, a node, …). */
export function servicePortHref(name: string, protocol: string, query: Record<string, string | number | undefined | null> = {}): string {
  return viewHref(`/services/${servicePortParam(name, protocol)}`, query);
}
