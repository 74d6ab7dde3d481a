/**
 * The kube-proxy model of one node's ruleset (iptables mode): every service port with its entry paths, endpoints,
 * shares, counters, policies and verified chain names, plus the problems found on the way.
 *
 * Built from the nat table (KUBE-SERVICES → KUBE-SVC/SVL → KUBE-SEP → DNAT; KUBE-NODEPORTS → KUBE-EXT → …) and,
 * when the dump has it, the filter table (services without endpoints). Linear in the size of the dump: chains and
 * jumps are indexed once, each service port reads only its own chains.
 */
import type { Chain, IptablesDump } from "../iptables/types";
import {
  endpointChainName,
  SERVICE_CHAIN_PREFIXES,
  servicePortChainName,
  splitServicePortName,
} from "./chain-names";
import { balancesItself, readBalancingChain, type BalancingChain, type LadderRung } from "./balancing";
import { collectServicePorts, identifyDraft, type ServicePortDraft } from "./collect-service-ports";
import { findChainProblems, ladderProblems } from "./find-problems";
import { dropsForNoLocalEndpoints } from "./no-endpoints";
import { joinHostPort } from "./rule-facts";
import { indexEntryMasquerade, readServicePaths, SERVICES_CHAIN, type ServicePathsRead } from "./service-paths";
import {
  chainFacts,
  chainLine,
  chainRules,
  findNatTable,
  findTable,
  indexTable,
  isJumpedTo,
  keepChainFacts,
  releaseChainFacts,
  type TableIndex,
} from "./table-index";
import { createHashCache, isEndpointChainOf, type ServicePortIdentity } from "./verify-chains";
import type { EndpointModel, ModelProblem, NoEndpointsVerdict, ProxyModel, ServicePath, ServicePortModel } from "./types";

/** Builds the model of a parsed `iptables-save` dump (or `iptables -t nat -S` listing). */
export function buildProxyModel(dump: IptablesDump): ProxyModel {
  const nat = indexTable(findNatTable(dump));
  const filter = indexTable(findTable(dump, "filter"));
  const cache = createHashCache();
  const entryMasquerade = indexEntryMasquerade(nat);
  const problems: ModelProblem[] = [];

  const servicePorts: ServicePortModel[] = [];
  const drafts = collectServicePorts(nat, filter, cache);
  // KUBE-SERVICES and KUBE-NODEPORTS serve every port: their facts stay.
  keepChainFacts(nat);
  for (const draft of drafts.values()) {
    if (isLeftover(draft, nat)) continue;
    const identity = identifyDraft(draft, nat, cache);
    const port = buildServicePort(draft, identity, nat, entryMasquerade, problems);
    servicePorts.push(port);
    // Done with this port's chains: letting their facts go keeps a large dump's model from holding ~100k of them.
    releaseChainFacts(nat);
  }
  problems.push(...findChainProblems(nat), ...findChainProblems(filter));

  servicePorts.sort(
    (a, b) => compare(a.name, b.name) || compare(a.protocol, b.protocol) || compare(a.svcChain ?? "", b.svcChain ?? ""),
  );
  problems.sort(
    (a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || compare(a.kind, b.kind) || compare(a.chain, b.chain),
  );
  return { mode: "iptables", family: dump.family, servicePorts, problems };
}

/**
 * An empty service chain nothing jumps to (a stale chain kube-proxy failed to delete, or a hand-made one) is not a
 * service port; find-problems reports it as an orphan. A chain with rules is kept even when unreferenced: in an
 * excerpt of a ruleset it is still a service's ladder.
 */
function isLeftover(draft: ServicePortDraft, nat: TableIndex): boolean {
  if (draft.entries.length > 0 || draft.verdicts.length > 0) return false;
  for (const chain of Object.values(draft.chains)) {
    if (isJumpedTo(nat, chain) || (nat.chains.get(chain)?.chain.rules.length ?? 0) > 0) return false;
  }
  return true;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildServicePort(
  draft: ServicePortDraft,
  identity: ServicePortIdentity,
  nat: TableIndex,
  entryMasquerade: ReturnType<typeof indexEntryMasquerade>,
  problems: ModelProblem[],
): ServicePortModel {
  const name = identity.name ?? "";
  // No closure per port: a 10k-service node models ~10k ports, and each closure made is an allocation (and, as the
  // bench runs the sources, a call to the name-keeping helper of the TypeScript loader).
  const { chains } = draft;
  if (!identity.verified) reportServiceNameMismatch(draft, identity, nat, problems);

  const read = readServicePaths(nat, draft.entries, entryMasquerade, draft.hash);
  addFilterAddresses(draft, read);
  const { endpoints, affinitySeconds } = readEndpoints(draft, identity, nat, problems);
  const { namespace, service, portName } = splitServicePortName(name);
  return {
    name,
    namespace,
    service,
    portName,
    protocol: identity.protocol,
    svcChain: chains["KUBE-SVC-"] ?? null,
    svlChain: chains["KUBE-SVL-"] ?? null,
    extChain: chains["KUBE-EXT-"] ?? chains["KUBE-XLB-"] ?? null,
    fwChain: chains["KUBE-FW-"] ?? null,
    chainVerified: identity.verified,
    clusterIPs: read.clusterIPs,
    externalIPs: read.externalIPs,
    loadBalancerIPs: read.loadBalancerIPs,
    nodePorts: read.nodePorts,
    endpoints,
    paths: read.paths,
    affinitySeconds,
    externalTrafficPolicy: isExternalLocal(draft, nat) ? "Local" : "Cluster",
    internalTrafficPolicy: isInternalLocal(draft, read.paths) ? "Local" : "Cluster",
    noEndpoints: noEndpointVerdicts(draft, read.paths, nat),
    packets: endpoints.reduce((sum, e) => sum + e.packets, 0),
  };
}

/**
 * The endpoints of the port's balancing chains: KUBE-SVC (cluster-wide), then KUBE-SVL (node-local) — or, before
 * KUBE-SVL existed (≤1.23), a KUBE-XLB that balanced the node-local endpoints itself. An endpoint in both is listed
 * once, with the connections both rules counted.
 */
function readEndpoints(
  draft: ServicePortDraft,
  identity: ServicePortIdentity,
  nat: TableIndex,
  problems: ModelProblem[],
): { endpoints: EndpointModel[]; affinitySeconds: number | null } {
  const { "KUBE-SVC-": svc, "KUBE-SVL-": svl, "KUBE-XLB-": xlb } = draft.chains;
  const reading: EndpointsReading = { identity, problems, count: 0, bySepChain: null, affinitySeconds: null };
  if (svc !== undefined) addLadder(reading, readBalancingChain(nat, svc), "cluster");
  if (svl !== undefined) addLadder(reading, readBalancingChain(nat, svl), "local");
  if (xlb !== undefined && balancesItself(nat, xlb)) addLadder(reading, readBalancingChain(nat, xlb), "local");
  // Read into a reused scratch, then copied out to size: the model keeps ~10k such lists on a large node.
  const endpoints = endpointScratch.slice(0, reading.count);
  endpointScratch.length = 0;
  endpointChains.length = 0; // no dump kept alive after the model is built
  return { endpoints, affinitySeconds: reading.affinitySeconds };
}

/** The endpoints of one port while its ladders are read (in {@link endpointScratch}). */
interface EndpointsReading {
  identity: ServicePortIdentity;
  problems: ModelProblem[];
  count: number;
  /**
   * An endpoint in both ladders is listed once. Ports have a handful of endpoints: a scan of those read so far is
   * cheaper than a map; a large port switches to one.
   */
  bySepChain: Map<string, EndpointModel> | null;
  affinitySeconds: number | null;
}

/** The endpoints of the port being read, in order. */
const endpointScratch: EndpointModel[] = [];

/** Adds a balancing chain's rungs to the port's endpoints, and its faults to the problems. */
function addLadder(reading: EndpointsReading, ladder: BalancingChain, via: EndpointModel["via"]): void {
  const { identity, problems } = reading;
  const servicePort = identity.name ?? undefined;
  reading.affinitySeconds ??= ladder.affinitySeconds;
  if (ladder.faults.length > 0) problems.push(...ladderProblems(ladder.chain, ladder.line, ladder.faults, servicePort));
  for (const facts of ladder.unexpected) {
    problems.push({
      kind: "unparsed-rule",
      chain: ladder.chain,
      line: facts.rule.line,
      ...(servicePort === undefined ? {} : { servicePort }),
      message: `balancing chain jumps to ${facts.rule.target}, which is not an endpoint chain`,
    });
  }
  const { rungs } = ladder;
  for (let r = 0; r < rungs.length; r++) {
    const rung = rungs[r]!;
    const known = reading.bySepChain === null ? findEndpoint(reading.count, rung) : reading.bySepChain.get(rung.sepChain);
    if (known !== undefined) {
      known.packets += rung.packets;
      known.bytes += rung.bytes;
      continue;
    }
    const endpoint: EndpointModel = {
      address: rung.address,
      sepChain: rung.sepChain,
      chainVerified: verifyEndpoint(rung, identity, problems),
      probabilityText: rung.probabilityText,
      probability: rung.probability,
      share: rung.share,
      packets: rung.packets,
      bytes: rung.bytes,
      via,
    };
    endpointChains[reading.count] = rung.endpointChain;
    endpointScratch[reading.count++] = endpoint;
    if (reading.bySepChain !== null) reading.bySepChain.set(endpoint.sepChain, endpoint);
    else if (reading.count === ENDPOINT_SCAN_MAX) {
      reading.bySepChain = new Map(endpointScratch.slice(0, reading.count).map((e) => [e.sepChain, e]));
    }
  }
}

/** Endpoints a port collects before it looks them up in a map rather than by scanning. */
const ENDPOINT_SCAN_MAX = 32;

/**
 * The endpoint already read for the rung's chain. Rungs of one chain name reach the same chain object, so rungs that
 * reach chains are told apart by object (no comparison of names, which are distinct strings of equal length).
 */
function findEndpoint(count: number, rung: LadderRung): EndpointModel | undefined {
  const { endpointChain, sepChain } = rung;
  for (let i = 0; i < count; i++) {
    const chain = endpointChains[i];
    if (endpointChain !== null && chain !== null) {
      if (chain === endpointChain) return endpointScratch[i];
    } else if (endpointScratch[i]!.sepChain === sepChain) {
      return endpointScratch[i];
    }
  }
  return undefined;
}

/** The endpoint chain behind each endpoint of the port being read (null for a dangling jump), by position. */
const endpointChains: (Chain | null)[] = [];

/** Filter-table refusals, and the old nat-table drops at the end of a path (`-j KUBE-MARK-DROP`), each once. */
function noEndpointVerdicts(draft: ServicePortDraft, paths: readonly ServicePath[], nat: TableIndex): NoEndpointsVerdict[] {
  const verdicts: NoEndpointsVerdict[] = [];
  for (const { verdict } of draft.verdicts) addVerdict(verdicts, verdict);
  for (const path of paths) {
    if (dropsForNoLocalEndpoints(chainRules(nat, path.chains[path.chains.length - 1]!))) {
      addVerdict(verdicts, { action: "DROP", reason: "has no local endpoints", destination: path.destination });
    }
  }
  return verdicts;
}

/** Adds `verdict` unless an equal one is listed. */
function addVerdict(verdicts: NoEndpointsVerdict[], verdict: NoEndpointsVerdict): void {
  for (const v of verdicts) {
    if (v.action === verdict.action && v.reason === verdict.reason && v.destination === verdict.destination) return;
  }
  verdicts.push(verdict);
}

/** Filter verdicts are the only trace of a port without endpoints: its cluster IP and node ports are there. */
function addFilterAddresses(draft: ServicePortDraft, read: ServicePathsRead): void {
  for (const { chain, facts } of draft.verdicts) {
    const address = facts.destination !== null && facts.dport !== null ? joinHostPort(facts.destination, facts.dport) : facts.destination;
    if (chain === SERVICES_CHAIN && address !== null && !read.clusterIPs.includes(address)) {
      read.clusterIPs.push(address);
    }
    if (facts.destination === null && facts.dstType === "LOCAL" && facts.dport !== null && !read.nodePorts.includes(facts.dport)) {
      read.nodePorts.push(facts.dport);
      read.nodePorts.sort((a, b) => a - b);
    }
  }
}

/** eTP=Local: an old KUBE-XLB chain, a KUBE-EXT that hands external traffic to KUBE-SVL or masquerades only some sources, or a filter "no local endpoints" drop. */
function isExternalLocal(draft: ServicePortDraft, nat: TableIndex): boolean {
  if (draft.chains["KUBE-XLB-"] !== undefined) return true;
  if (draft.verdicts.some((v) => v.chain !== SERVICES_CHAIN && v.verdict.reason === "has no local endpoints")) return true;
  const ext = draft.chains["KUBE-EXT-"];
  if (ext === undefined) return false;
  const rules = chainFacts(nat, ext);
  if (rules.some((f) => f.rule.target?.startsWith("KUBE-SVL-"))) return true;
  // eTP=Cluster always starts KUBE-EXT with an unconditional "masquerade traffic for … external destinations".
  return rules.length > 0 && !rules.some((f) => f.rule.target === "KUBE-MARK-MASQ" && f.unconditional);
}

/** iTP=Local: cluster IP traffic goes to KUBE-SVL, or is dropped in filter KUBE-SERVICES for want of local endpoints. */
function isInternalLocal(draft: ServicePortDraft, paths: readonly ServicePath[]): boolean {
  if (paths.some((p) => p.kind === "cluster-ip" && p.chains[1]?.startsWith("KUBE-SVL-"))) return true;
  return draft.verdicts.some((v) => v.chain === SERVICES_CHAIN && v.verdict.reason === "has no local endpoints");
}

function verifyEndpoint(rung: LadderRung, identity: ServicePortIdentity, problems: ModelProblem[]): boolean {
  const { sepChain, address } = rung;
  const declared = rung.endpointChain ?? undefined;
  if (declared !== undefined && !rung.addressFromChain) {
    problems.push({
      kind: "unparsed-rule",
      chain: sepChain,
      line: declared.line,
      ...(identity.name === null ? {} : { servicePort: identity.name }),
      message: "endpoint chain has no DNAT rule",
    });
  }
  if (identity.name === null || address === "") return false;
  if (isEndpointChainOf(sepChain, identity.name, identity.protocol, address)) return true;
  if (declared === undefined) return false; // a dangling jump, reported as such
  problems.push({
    kind: "chain-name-mismatch",
    chain: sepChain,
    line: declared.line,
    servicePort: identity.name,
    message: `not kube-proxy's name for ${identity.name} ${identity.protocol} → ${address} (that is ${endpointChainName(identity.name, identity.protocol, address)})`,
  });
  return false;
}

function reportServiceNameMismatch(
  draft: ServicePortDraft,
  identity: ServicePortIdentity,
  nat: TableIndex,
  problems: ModelProblem[],
): void {
  for (const prefix of SERVICE_CHAIN_PREFIXES) {
    const chain = draft.chains[prefix];
    if (chain === undefined || !nat.chains.has(chain)) continue;
    const expected = identity.name === null ? null : servicePortChainName(prefix, identity.name, identity.protocol);
    problems.push({
      kind: "chain-name-mismatch",
      chain,
      line: chainLine(nat, chain),
      ...(identity.name === null ? {} : { servicePort: identity.name }),
      message:
        expected === null
          ? "no rule names the service port of this chain, so its name cannot be verified"
          : `not kube-proxy's name for ${identity.name} ${identity.protocol} (that is ${expected})`,
    });
  }
}
