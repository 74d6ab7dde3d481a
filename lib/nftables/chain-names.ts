/**
 * kube-proxy's nftables chain names (pkg/proxy/nftables/proxier.go, `servicePortChainNameBase`,
 * `servicePortEndpointChainNameBase`, `hashAndTruncate`):
 *
 *   service-/local-/external-/firewall-  + H8 + "-" + namespace/name/protocol/portName
 *   endpoint-/affinity-                  + H8 + "-" + namespace/name/protocol/portName__ip/port
 *
 * where H8 = base32(sha256(base))[:8] of the text that follows it, IPv6 colons are written as dots, and the part
 * after the prefix is cut to 240 characters (knftables.NameLengthMax 256 minus the longest prefix, 16) ending in "...".
 * Unlike iptables mode the name keeps the service's identity in clear text, so a chain can be read back to its
 * service port — and the hash proves the text was not edited.
 */
import { createHash } from "node:crypto";
import type { Protocol } from "../kube-proxy/types";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HASH_LENGTH = 8;
const BASE_LENGTH_MAX = 240;

/** The first 8 base32 characters (Go's base32.StdEncoding) of sha256(text): the first 40 bits of the digest. */
function hash8(text: string): string {
  const digest = createHash("sha256").update(text, "utf8").digest();
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(digest[i]!);
  let out = "";
  for (let i = HASH_LENGTH - 1; i >= 0; i--) out += BASE32_ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

function hashAndTruncate(base: string): string {
  const name = `${hash8(base)}-${base}`;
  return name.length > BASE_LENGTH_MAX ? `${name.slice(0, BASE_LENGTH_MAX - 3)}...` : name;
}

/** `ns/name:port` → its parts; `ns/name` (an unnamed port) gives portName `""`. */
export function splitServicePortName(servicePortName: string): { namespace: string; service: string; portName: string } {
  const slash = servicePortName.indexOf("/");
  const colon = servicePortName.indexOf(":", slash + 1);
  return {
    namespace: servicePortName.slice(0, Math.max(slash, 0)),
    service: servicePortName.slice(slash + 1, colon < 0 ? undefined : colon),
    portName: colon < 0 ? "" : servicePortName.slice(colon + 1),
  };
}

/** `H8-namespace/name/protocol/portName` for a service port name `namespace/name:portName`. */
export function nftServicePortChainNameBase(servicePortName: string, protocol: Protocol | string): string {
  const { namespace, service, portName } = splitServicePortName(servicePortName);
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}`);
}

/** `H8-namespace/name/protocol/portName__ip/port` for an endpoint `ip:port` or `[ip6]:port`. */
export function nftEndpointChainNameBase(servicePortName: string, protocol: Protocol | string, endpoint: string): string {
  const { namespace, service, portName } = splitServicePortName(servicePortName);
  const colon = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, Math.max(colon, 0)).replace(/^\[(.*)\]$/, "$1");
  const port = endpoint.slice(colon + 1);
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}__${host.replaceAll(":", ".")}/${port}`);
}

/** Which of kube-proxy's per-service objects a name is. `affinity` names a set, the others chains. */
export type NftChainKind = "service" | "local" | "external" | "firewall" | "endpoint" | "affinity";

/** A kube-proxy chain (or affinity set) name read back into the service port it names. */
export interface NftChainNameParts {
  kind: NftChainKind;
  /** The 8-character hash as written. */
  hash: string;
  /** True when the hash is kube-proxy's hash of the text after it (a truncated name is checked as written). */
  hashMatches: boolean;
  namespace: string;
  service: string;
  protocol: string;
  portName: string;
  /** `namespace/name:portName`, or `namespace/name` for an unnamed port. */
  servicePortName: string;
  /** Endpoint and affinity names: `ip/port` as written (IPv6 with dots); null for service-level chains. */
  endpoint: string | null;
  /** True when the name was cut at 240 characters and ends in "...". */
  truncated: boolean;
}

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);
const NAME = /^(service|local|external|firewall|endpoint|affinity)-([A-Z2-7]{8})-(.+)$/;

/** Reads a kube-proxy chain or affinity set name; null for any other name (base chains, helper chains). */
export function parseNftChainName(name: string): NftChainNameParts | null {
  const match = NAME.exec(name);
  if (!match) return null;
  const kind = match[1] as NftChainKind;
  const hash = match[2]!;
  const rest = match[3]!;
  const perEndpoint = kind === "endpoint" || kind === "affinity";
  const split = perEndpoint ? rest.indexOf("__") : -1;
  if (perEndpoint && split < 0) return null;
  const servicePart = split < 0 ? rest : rest.slice(0, split);
  const parts = servicePart.split("/");
  if (parts.length !== 4 || parts[0] === "" || parts[1] === "" || !PROTOCOLS.has(parts[2]!)) return null;
  const [namespace, service, protocol, portName] = parts as [string, string, string, string];
  const truncated = name.endsWith("...") && `${hash}-${rest}`.length === BASE_LENGTH_MAX;
  // A truncated name's hash covers the full text, which is gone; only a service-side recomputation can check it.
  const hashMatches = !truncated && hash8(rest) === hash;
  return {
    kind,
    hash,
    hashMatches,
    namespace,
    service,
    protocol,
    portName,
    servicePortName: portName === "" ? `${namespace}/${service}` : `${namespace}/${service}:${portName}`,
    endpoint: split < 0 ? null : rest.slice(split + 2),
    truncated,
  };
}
