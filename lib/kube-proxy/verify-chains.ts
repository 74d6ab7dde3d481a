/**
 * Proving which service port and endpoint a chain belongs to, from its name.
 *
 * Comments say which service port a rule serves, but they can be missing (large-cluster mode drops them from
 * KUBE-SEP rules and KUBE-SVC → KUBE-SEP jumps), written in older forms, or simply wrong (a hand-edited rule). The
 * chain name is a hash of the truth, so a service port is named by the candidate (from any comment of its chain
 * family) whose hash equals the name, and an endpoint chain is verified by hashing the service port, protocol and
 * the DNAT destination it really holds.
 */
import { isEndpointChainName, isServicePortHash, servicePortHash } from "./chain-names";
import type { Protocol } from "./types";

const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "sctp"];

/** A service port as its chain names prove it (or fail to). */
export interface ServicePortIdentity {
  /** The service port name, as kube-proxy hashed it; null when no rule names one. */
  name: string | null;
  protocol: Protocol;
  /** True when `name` + `protocol` hash to the chains' hash. */
  verified: boolean;
}

/** Memoizes kube-proxy's service port hash: filter rules and several chains ask for the same one. */
export interface HashCache {
  servicePortHash(name: string, protocol: string): string;
}

export function createHashCache(): HashCache {
  const cache = new Map<string, string>();
  return {
    servicePortHash(name, protocol) {
      // The hashed text itself is the key: equal texts hash alike, whichever name and protocol made them.
      const key = name + protocol.toLowerCase();
      let hash = cache.get(key);
      if (hash === undefined) {
        hash = servicePortHash(key, "");
        cache.set(key, hash);
      }
      return hash;
    },
  };
}

export function asProtocol(value: string | null | undefined): Protocol | null {
  const lower = value?.toLowerCase();
  return lower === "tcp" || lower === "udp" || lower === "sctp" ? lower : null;
}

/**
 * Spellings of one service port name: kube-proxy once wrote `ns/svc:` for an unnamed port and hashed it with the
 * colon; current versions write and hash `ns/svc`. A comment in one form may sit on a chain hashed in the other
 * only if the rules were rewritten by hand, but trying both costs one hash and names the port either way.
 */
function spellings(name: string): string[] {
  if (name.endsWith(":")) return [name, name.slice(0, -1)];
  const slash = name.indexOf("/");
  if (name.indexOf(":", slash + 1) < 0) return [name, `${name}:`];
  return [name];
}

/**
 * Names the service port behind the chains with hash `hash`. `candidates` are the service port names the chain
 * family's comments mention, most trusted first; `protocols` the protocols its rules match. Tries the observed
 * protocols first, then the others, so a port is named even when no rule of its family carries `-p`.
 */
export function identifyServicePort(
  hash: string,
  candidates: readonly string[],
  protocols: readonly string[],
  cache: HashCache,
): ServicePortIdentity {
  // The usual case, and the first try of the search below: the first candidate as written, with the first protocol.
  // Checked in place and not cached: each port's name is hashed once, and most ports are named right this way.
  const first = candidates[0];
  const firstProtocol = asProtocol(protocols[0]);
  if (first !== undefined && firstProtocol !== null && isServicePortHash(hash, first, firstProtocol)) {
    return { name: first, protocol: firstProtocol, verified: true };
  }
  const observed: Protocol[] = [];
  for (const p of protocols) {
    const protocol = asProtocol(p);
    if (protocol !== null && !observed.includes(protocol)) observed.push(protocol);
  }
  const order = [...observed, ...PROTOCOLS.filter((p) => !observed.includes(p))];
  for (const candidate of candidates) {
    for (const protocol of order) {
      for (const name of spellings(candidate)) {
        if (cache.servicePortHash(name, protocol) === hash) return { name, protocol, verified: true };
      }
    }
  }
  return { name: candidates[0] ?? null, protocol: observed[0] ?? "tcp", verified: false };
}

/** True when `sepChain` is kube-proxy's name for `address` (`ip:port`, `[ip]:port`) of the service port. */
export function isEndpointChainOf(sepChain: string, servicePortName: string, protocol: Protocol, address: string): boolean {
  return address !== "" && isEndpointChainName(sepChain, servicePortName, protocol, address);
}
