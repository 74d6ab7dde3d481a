/**
 * kube-proxy's chain names, computed the way `pkg/proxy/iptables/proxier.go` does (portProtoHash and
 * servicePortEndpointChainName): base32(sha256(...)) cut to 16 characters, because iptables chain names are limited
 * to 28 characters.
 *
 * This is the lab's own copy: the renderer must not depend on the parser/model side it is used to test, so a bug in
 * one cannot hide a bug in the other.
 */
import { createHash } from "node:crypto";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (Go's `base32.StdEncoding`); only the first 16 characters are ever used, so no padding. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function hash16(input: string): string {
  return base32(createHash("sha256").update(input, "utf8").digest()).slice(0, 16);
}

/** Chain prefixes kube-proxy uses for per-service and per-endpoint chains. */
export type ServiceChainPrefix = "KUBE-SVC-" | "KUBE-SVL-" | "KUBE-EXT-" | "KUBE-FW-";

/**
 * `KUBE-SVC-`/`SVL-`/`EXT-`/`FW-` + hash of the service port name (`ns/name:port`, or `ns/name` for an unnamed port)
 * and the lower-case protocol.
 */
export function serviceChainName(prefix: ServiceChainPrefix, servicePortName: string, protocol: string): string {
  return prefix + hash16(servicePortName + protocol);
}

/** `KUBE-SEP-` + hash of service port name, protocol and endpoint (`ip:port`, `[ip6]:port`). */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return "KUBE-SEP-" + hash16(servicePortName + protocol + endpoint);
}
