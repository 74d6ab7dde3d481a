/**
 * Gathering everything that belongs to one service port before modelling it.
 *
 * The key of a service port is the hash in its chain names: KUBE-SVC-H, KUBE-SVL-H, KUBE-EXT-H, KUBE-FW-H and
 * KUBE-XLB-H share H = hash(servicePortName + protocol). Chains are grouped by H whether they are declared or only
 * jumped to; a filter-table verdict, which has no chain, is keyed by hashing the service port its comment names.
 */
import { ENDPOINT_CHAIN_PREFIX, isServicePortHash, serviceChainPrefix, type ServiceChainPrefix } from "./chain-names";
import { readFilterVerdicts, type FilterVerdict } from "./no-endpoints";
import { NODEPORTS_CHAIN, SERVICES_CHAIN, type EntryRule } from "./service-paths";
import { chainFacts, type TableIndex } from "./table-index";
import { asProtocol, identifyServicePort, type HashCache, type ServicePortIdentity } from "./verify-chains";
import type { Protocol } from "./types";

/** Everything known about one service port, before it is modelled. */
export interface ServicePortDraft {
  hash: string;
  /** Position among the drafts, in the order they were made. */
  ordinal: number;
  /** Service-level chains of the port, declared or jumped to. */
  chains: Partial<Record<ServiceChainPrefix, string>>;
  /** KUBE-SERVICES and KUBE-NODEPORTS rules jumping into the chains, in input order. */
  entries: EntryRule[];
  verdicts: FilterVerdict[];
}

/** Groups a dump's service-level chains, entry rules and filter verdicts by service port. */
export function collectServicePorts(nat: TableIndex, filter: TableIndex, cache: HashCache): Map<string, ServicePortDraft> {
  const drafts = new Map<string, ServicePortDraft>();
  // A port's chains are declared together (KUBE-EXT-H, KUBE-SVC-H, …), and KUBE-SERVICES jumps to the ports in the
  // order they were declared: the last draft, then the one made after it, are tried before the map.
  const order: ServicePortDraft[] = [];
  let last: ServicePortDraft | undefined;
  let next = 0;
  /** The draft of the service chain `name` whose hash starts at `hashStart`: the last or next draft's, compared in place. */
  const draftOfChain = (name: string, hashStart: number): ServicePortDraft => {
    const length = name.length - hashStart;
    if (last !== undefined && last.hash.length === length && name.endsWith(last.hash)) return last;
    const guess = order[next];
    if (guess !== undefined && guess.hash.length === length && name.endsWith(guess.hash)) {
      next = guess.ordinal + 1;
      last = guess;
      return guess;
    }
    return draftOf(name.slice(hashStart));
  };
  const draftOf = (hash: string): ServicePortDraft => {
    if (last !== undefined && last.hash === hash) return last;
    let draft = next < order.length && order[next]!.hash === hash ? order[next] : drafts.get(hash);
    if (draft === undefined) {
      draft = { hash, ordinal: order.length, chains: {}, entries: [], verdicts: [] };
      drafts.set(hash, draft);
      order.push(draft);
    }
    next = draft.ordinal + 1;
    last = draft;
    return draft;
  };
  const addChain = (name: string): void => {
    const prefix = serviceChainPrefix(name);
    if (prefix !== null) draftOfChain(name, prefix.length).chains[prefix] = name;
  };

  for (const name of nat.serviceChainCandidates) addChain(name);
  for (const target of nat.missingTargets.keys()) addChain(target);
  for (const chain of [SERVICES_CHAIN, NODEPORTS_CHAIN]) {
    for (const facts of chainFacts(nat, chain)) {
      const target = facts.rule.target;
      const prefix = target === null ? null : serviceChainPrefix(target);
      if (prefix !== null) draftOfChain(target!, prefix.length).entries.push({ chain, facts });
    }
  }
  for (const verdict of readFilterVerdicts(filter)) {
    draftOf(cache.servicePortHash(verdict.servicePortName, verdict.protocol)).verdicts.push(verdict);
  }
  return drafts;
}

/**
 * Names the service port of a draft from the comments of its whole chain family — entry rules first, then its own
 * chains, then the filter verdicts — and, only when none of those names one (large-cluster mode, stripped
 * comments), the endpoint chains its ladders jump to.
 */
export function identifyDraft(draft: ServicePortDraft, nat: TableIndex, cache: HashCache): ServicePortIdentity {
  // The usual case, tried before any list is made: the first name and protocol the entry rules give hash to the
  // chains' hash (identifyServicePort's own first try).
  let firstName: string | null = null;
  let firstProtocol: Protocol | null = null;
  let firstProtocolSeen = false;
  for (const { facts } of draft.entries) {
    firstName ??= facts.servicePortName;
    if (!firstProtocolSeen && facts.protocol !== null) {
      firstProtocolSeen = true;
      firstProtocol = asProtocol(facts.protocol);
    }
  }
  if (firstName !== null && firstProtocol !== null && isServicePortHash(draft.hash, firstName, firstProtocol)) {
    return { name: firstName, protocol: firstProtocol, verified: true };
  }
  const candidates: string[] = [];
  const protocols: string[] = [];
  const note = (name: string | null, protocol: string | null): void => {
    if (name !== null && !candidates.includes(name)) candidates.push(name);
    if (protocol !== null && !protocols.includes(protocol)) protocols.push(protocol);
  };

  for (const { facts } of draft.entries) note(facts.servicePortName, facts.protocol);
  // The usual case: KUBE-SERVICES names the port and the hash confirms it.
  if (candidates.length > 0) {
    const identity = identifyServicePort(draft.hash, candidates, protocols, cache);
    if (identity.verified) return identity;
  }
  const endpointChains: string[] = [];
  for (const chain of Object.values(draft.chains)) {
    for (const facts of chainFacts(nat, chain)) {
      note(facts.servicePortName, facts.protocol);
      if (facts.rule.target?.startsWith(ENDPOINT_CHAIN_PREFIX)) endpointChains.push(facts.rule.target);
    }
  }
  for (const verdict of draft.verdicts) note(verdict.servicePortName, verdict.protocol);

  const identity = identifyServicePort(draft.hash, candidates, protocols, cache);
  if (identity.verified) return identity;
  // The endpoint chains say the same service port in their own comments and carry the protocol of their DNAT rule.
  for (const sep of endpointChains) {
    for (const facts of chainFacts(nat, sep)) note(facts.servicePortName, facts.protocol);
  }
  return identifyServicePort(draft.hash, candidates, protocols, cache);
}
