/**
 * kube-proxy's chain names, computed the way kube-proxy computes them, so a chain can be proven to belong to the
 * service port or endpoint its rules name.
 *
 * iptables mode (pkg/proxy/iptables/proxier.go, `portProtoHash` and `servicePortEndpointChainName`):
 *   KUBE-SVC-/SVL-/EXT-/FW-/XLB- + base32(sha256(servicePortName + protocol))[:16]
 *   KUBE-SEP-                    + base32(sha256(servicePortName + protocol + endpoint))[:16]
 * where servicePortName is `namespace/name:port` (`namespace/name` for an unnamed port in current versions,
 * `namespace/name:` in older ones — the string is hashed exactly as kube-proxy prints it in its comments),
 * protocol is lower-case and endpoint is `ip:port` (`[ip]:port` for IPv6).
 *
 * nftables mode (pkg/proxy/nftables/proxier.go, `hashAndTruncate`): chain name bases are
 * base32(sha256(base))[:8] + "-" + base, truncated to 240 characters with "...".
 */
import * as nodeCrypto from "node:crypto";
import type { Protocol } from "./types";

/** Prefixes of the chains kube-proxy derives from a service port's hash (iptables mode). */
export type ServiceChainPrefix = "KUBE-SVC-" | "KUBE-SVL-" | "KUBE-EXT-" | "KUBE-FW-" | "KUBE-XLB-";

export const SERVICE_CHAIN_PREFIXES: readonly ServiceChainPrefix[] = [
  "KUBE-SVC-",
  "KUBE-SVL-",
  "KUBE-EXT-",
  "KUBE-FW-",
  "KUBE-XLB-",
];

export const ENDPOINT_CHAIN_PREFIX = "KUBE-SEP-";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Length of the hash kube-proxy puts in iptables chain names. */
export const IPTABLES_HASH_LENGTH = 16;
/** Length of the hash kube-proxy puts in front of nftables chain name bases. */
export const NFTABLES_HASH_LENGTH = 8;
/** knftables.NameLengthMax (256) minus the longest chain prefix kube-proxy uses (16). */
const NFTABLES_BASE_LENGTH_MAX = 240;

/**
 * Node ≥ 20.12 has a one-shot `crypto.hash`, faster than createHash for short inputs. Model building hashes one
 * string per service port and per endpoint (≈60k for a 10k-service node), so it is worth using when present, and
 * there the digest is asked for as a `binary` (latin1) string, one character per byte: a third of the cost of a Buffer.
 */
const sha256: (text: string) => Uint8Array =
  typeof nodeCrypto.hash === "function"
    ? (text) => nodeCrypto.hash("sha256", text, "buffer")
    : (text) => nodeCrypto.createHash("sha256").update(text, "utf8").digest();

const sha256Latin1: (text: string) => string =
  typeof nodeCrypto.hash === "function"
    ? (text) => nodeCrypto.hash("sha256", text, "binary")
    : (text) => nodeCrypto.createHash("sha256").update(text, "utf8").digest("binary");

/**
 * The first `length` characters of the RFC 4648 base32 encoding (standard alphabet, as Go's base32.StdEncoding)
 * of `bytes`, without padding. kube-proxy's 16 characters are the first 10 bytes of the hash, its 8 the first 5.
 */
export function base32Prefix(bytes: Uint8Array, length: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += BASE32_ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  // A last group of fewer than 5 bits is padded with zeros on the right.
  if (bits > 0 && out.length < length) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

const BASE32_CODES: readonly number[] = Array.from(BASE32_ALPHABET, (c) => c.charCodeAt(0));

/** Scratch for the character codes of one iptables chain hash. */
const chainHashCodes: number[] = new Array<number>(IPTABLES_HASH_LENGTH).fill(0);

/** The character codes of base32(digest)[:16] for a latin1 digest (its first 10 bytes make exactly 16 characters). */
function fillChainHashCodes(digest: string): number[] {
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; n < IPTABLES_HASH_LENGTH; i++) {
    buffer = ((buffer << 8) | digest.charCodeAt(i)) & 0xffff;
    bits += 8;
    while (bits >= 5 && n < IPTABLES_HASH_LENGTH) {
      chainHashCodes[n++] = BASE32_CODES[(buffer >> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  return chainHashCodes;
}

/** base32(sha256(text))[:16]: the hash kube-proxy puts in iptables chain names. */
function chainHash(text: string): string {
  return String.fromCharCode(...fillChainHashCodes(sha256Latin1(text)));
}

/** True when `chain` is `prefix` + base32(sha256(text))[:16], compared in place (no name is built). */
function isChainNameOf(chain: string, prefix: string, text: string): boolean {
  if (chain.length !== prefix.length + IPTABLES_HASH_LENGTH || !chain.startsWith(prefix)) return false;
  const codes = fillChainHashCodes(sha256Latin1(text));
  for (let i = 0; i < IPTABLES_HASH_LENGTH; i++) {
    if (chain.charCodeAt(prefix.length + i) !== codes[i]) return false;
  }
  return true;
}

/** True when `hash` is {@link servicePortHash} of the service port, checked without building the hash. */
export function isServicePortHash(hash: string, servicePortName: string, protocol: Protocol | string): boolean {
  if (hash.length !== IPTABLES_HASH_LENGTH) return false;
  const codes = fillChainHashCodes(sha256Latin1(servicePortName + protocol.toLowerCase()));
  for (let i = 0; i < IPTABLES_HASH_LENGTH; i++) {
    if (hash.charCodeAt(i) !== codes[i]) return false;
  }
  return true;
}

/** base32(sha256(servicePortName + protocol))[:16] — the part shared by KUBE-SVC/SVL/EXT/FW/XLB chains. */
export function servicePortHash(servicePortName: string, protocol: Protocol | string): string {
  return chainHash(servicePortName + protocol.toLowerCase());
}

/** `prefix` + kube-proxy's service port hash, e.g. `KUBE-SVC-KBDEBIL6IU6WL7RF`. */
export function servicePortChainName(prefix: ServiceChainPrefix, servicePortName: string, protocol: Protocol | string): string {
  return prefix + servicePortHash(servicePortName, protocol);
}

/** `KUBE-SEP-` + base32(sha256(servicePortName + protocol + endpoint))[:16]; endpoint is `ip:port` or `[ip]:port`. */
export function endpointChainName(servicePortName: string, protocol: Protocol | string, endpoint: string): string {
  return ENDPOINT_CHAIN_PREFIX + chainHash(servicePortName + protocol.toLowerCase() + endpoint);
}

/** True when `chain` is {@link endpointChainName} of the endpoint, checked without building the name. */
export function isEndpointChainName(chain: string, servicePortName: string, protocol: Protocol | string, endpoint: string): boolean {
  return isChainNameOf(chain, ENDPOINT_CHAIN_PREFIX, servicePortName + protocol.toLowerCase() + endpoint);
}

/** Splits a service chain name into its prefix and hash, or null when it is not one of kube-proxy's. */
export function splitServiceChainName(chain: string): { prefix: ServiceChainPrefix; hash: string } | null {
  const prefix = serviceChainPrefix(chain);
  return prefix === null ? null : { prefix, hash: chain.slice(prefix.length) };
}

/** The prefix of a service chain name (its hash follows), or null when it is not one: splitServiceChainName, unsplit. */
export function serviceChainPrefix(chain: string): ServiceChainPrefix | null {
  // Called for every chain and jump target of a dump (~170k on a 10k-service node): reject cheaply first.
  if (chain.length < 24 || !chain.startsWith("KUBE-")) return null;
  // Most chains of a large node are endpoint chains, which are not service chains.
  if (chain.startsWith(ENDPOINT_CHAIN_PREFIX)) return null;
  for (const prefix of SERVICE_CHAIN_PREFIXES) {
    if (chain.startsWith(prefix)) return isChainHashAt(chain, prefix.length) ? prefix : null;
  }
  return null;
}

/** True when `text` from `start` on is a chain hash ({@link isChainHash}), checked in place. */
function isChainHashAt(text: string, start: number): boolean {
  if (text.length - start !== IPTABLES_HASH_LENGTH) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A–Z or 2–7
    if (!((c >= 65 && c <= 90) || (c >= 50 && c <= 55))) return false;
  }
  return true;
}

/** True for a 16-character base32 string, the hash part of every kube-proxy iptables chain name. */
export function isChainHash(text: string): boolean {
  if (text.length !== IPTABLES_HASH_LENGTH) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A–Z or 2–7
    if (!((c >= 65 && c <= 90) || (c >= 50 && c <= 55))) return false;
  }
  return true;
}

/** A service port name split into its parts: `ns/name:port`, `ns/name:` (older, empty port) or `ns/name`. */
export interface ServicePortNameParts {
  namespace: string;
  service: string;
  portName: string;
}

export function splitServicePortName(servicePortName: string): ServicePortNameParts {
  const slash = servicePortName.indexOf("/");
  const colon = servicePortName.indexOf(":", slash + 1);
  const namespace = slash < 0 ? "" : servicePortName.slice(0, slash);
  const service = servicePortName.slice(slash + 1, colon < 0 ? undefined : colon);
  const portName = colon < 0 ? "" : servicePortName.slice(colon + 1);
  return { namespace, service, portName };
}

function hashAndTruncate(base: string): string {
  const name = base32Prefix(sha256(base), NFTABLES_HASH_LENGTH) + "-" + base;
  return name.length > NFTABLES_BASE_LENGTH_MAX ? name.slice(0, NFTABLES_BASE_LENGTH_MAX - 3) + "..." : name;
}

/**
 * nftables chain name base of a service port: `H8-namespace/name/protocol/port`, e.g.
 * `P4ZYZVCF-testing/service/tcp/http`. kube-proxy prefixes it with `service-`, `external-` or `firewall-`.
 */
export function nftServicePortChainNameBase(servicePortName: string, protocol: Protocol | string): string {
  const { namespace, service, portName } = splitServicePortName(servicePortName);
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}`);
}

/**
 * nftables chain name base of an endpoint: `H8-namespace/name/protocol/port__ip/port`, IPv6 colons written as dots
 * and brackets dropped (`fd80.abcd.12..a1b2/80`). kube-proxy prefixes it with `endpoint-` (and `affinity-` for sets).
 */
export function nftEndpointChainNameBase(servicePortName: string, protocol: Protocol | string, endpoint: string): string {
  const { namespace, service, portName } = splitServicePortName(servicePortName);
  const { host, port } = splitHostPort(endpoint);
  const ipPort = `${host.replaceAll(":", ".")}/${port}`;
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}__${ipPort}`);
}

/** `10.0.0.1:80` → host `10.0.0.1`, port `80`; `[fd00::1]:80` → host `fd00::1`, port `80`. */
export function splitHostPort(endpoint: string): { host: string; port: string } {
  const colon = endpoint.lastIndexOf(":");
  if (colon < 0) return { host: endpoint, port: "" };
  let host = endpoint.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host, port: endpoint.slice(colon + 1) };
}
