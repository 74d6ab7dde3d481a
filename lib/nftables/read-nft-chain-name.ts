/**
 * Reads kube-proxy's nftables chain names (pkg/proxy/nftables/proxier.go) back into the service port they name:
 *
 *   service-/local-/external-/firewall-  + H8 + "-" + namespace/name/protocol/portName
 *   endpoint-/affinity-                  + H8 + "-" + namespace/name/protocol/portName__ip/port
 *
 * where H8 = base32(sha256(text after it))[:8], IPv6 colons are written as dots, and the part after the prefix is cut
 * to 240 characters ending in "..." (computed in ../kube-proxy/chain-names.ts). Unlike iptables mode the name keeps
 * the service's identity in clear text, so a chain can be read back to its service port — and the hash proves the
 * text was not edited.
 */
import * as nodeCrypto from "node:crypto";
import { base32Prefix, NFTABLES_HASH_LENGTH } from "../kube-proxy/chain-names";

/** Longest name base kube-proxy writes: knftables.NameLengthMax (256) minus the longest chain prefix (16). */
const BASE_LENGTH_MAX = 240;

/** Node ≥ 20.12's one-shot `crypto.hash` is markedly faster than createHash for the ~60k names of a large node. */
const sha256: (text: string) => Uint8Array =
  typeof nodeCrypto.hash === "function"
    ? (text) => nodeCrypto.hash("sha256", text, "buffer")
    : (text) => nodeCrypto.createHash("sha256").update(text, "utf8").digest();

function hash8(text: string): string {
  return base32Prefix(sha256(text), NFTABLES_HASH_LENGTH);
}

/** Which of kube-proxy's per-service objects a name is. `affinity` names a set, the others chains. */
export type NftChainKind = "service" | "local" | "external" | "firewall" | "endpoint" | "affinity";

/** A kube-proxy chain (or affinity set) name read back into the service port it names. */
export interface NftChainNameParts {
  kind: NftChainKind;
  /** The 8-character hash as written. */
  hash: string;
  /** True when the hash is kube-proxy's hash of the text after it; false for a truncated name, whose full text is gone. */
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
