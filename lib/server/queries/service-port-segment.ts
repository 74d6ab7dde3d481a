/**
 * Service port names in URLs. kube-proxy names a service port `namespace/name:port` (`namespace/name` when the
 * port is unnamed); the slash cannot stand in one path segment, and a percent-encoded slash (`%2F`) is decoded or
 * refused by some proxies before the app sees it. So a segment writes the slash as `~`, a character Kubernetes
 * names never contain (namespaces and services are DNS labels, port names IANA service names):
 * `default/svc-clusterip:svc-webport` ↔ `default~svc-clusterip:svc-webport`. A percent-encoded name
 * (`default%2Fsvc-clusterip%3Asvc-webport`) is accepted as well.
 */

/** Namespace, a slash, a name, optionally a colon and a port name (possibly empty, as older kube-proxy wrote it). */
const SERVICE_PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[a-z0-9-]*)?$/;

/** True when `name` is a service port name as kube-proxy writes it. */
export function isServicePortName(name: string): boolean {
  return name.length <= 400 && SERVICE_PORT_NAME.test(name);
}

/** The URL path segment of a service port name. */
export function servicePortSegment(name: string): string {
  return name.replaceAll("/", "~");
}

/** A path segment with its percent-encoding undone (frameworks hand some segments over still encoded), or null. */
export function decodePathSegment(segment: string): string | null {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The service port name a path segment names, or null when it names none. */
export function parseServicePortSegment(segment: string): string | null {
  const name = decodePathSegment(segment)?.replaceAll("~", "/");
  return name && isServicePortName(name) ? name : null;
}
