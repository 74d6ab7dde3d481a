/**
 * The kube-proxy model of one node's ruleset (iptables mode): every service port with its entry paths, endpoints,
 * shares, counters, policies and verified chain names, plus the problems found on the way.
 *
 * Built from the nat table (KUBE-SERVICES → KUBE-SVC/SVL → KUBE-SEP → DNAT; KUBE-NODEPORTS → KUBE-EXT → …) and,
 * when the dump has it, the filter table (services without endpoints). Linear in the size of the dump: chains and
 * jumps are indexed once, each service port reads only its own chains.
 */
import type { IptablesDump } from "../iptables/types";
import { endpointChainName, servicePortChainName, splitServicePortName, type ServiceChainPrefix } from "./chain-names";
import { balancesItself, readBalancingChain, type BalancingChain, type LadderRung } from "./balancing";
import { chainLine, collectServicePorts, identifyDraft, type ServicePortDraft } from "./collect-service-ports";
import { findChainProblems, ladderProblems } from "./find-problems";
import { dropsForNoLocalEndpoints } from "./no-endpoints";
import { indexEntryMasquerade, readServicePaths, SERVICES_CHAIN } from "./service-paths";
import { chainFacts, findNatTable, findTable, indexTable, isJumpedTo, type TableIndex } from "./table-index";
import { createHashCache, isEndpointChainOf, type ServicePortIdentity } from "./verify-chains";
import type { EndpointModel, ModelProblem, NoEndpointsVerdict, ProxyModel, ServicePortModel } from "./types";

/** Builds the model of a parsed `iptables-save` dump (or `iptables -t nat -S` listing). */
export function buildProxyModel(dump: IptablesDump): ProxyModel {
  const nat = indexTable(findNatTable(dump));
  const filter = indexTable(findTable(dump, "filter"));
  const cache = createHashCache();
  const entryMasquerade = indexEntryMasquerade(nat);
  const problems: ModelProblem[] = [];

  const servicePorts: ServicePortModel[] = [];
  for (const draft of collectServicePorts(nat, filter, cache).values()) {
    if (isLeftover(draft, nat)) continue;
    const identity = identifyDraft(draft, nat, cache);
    servicePorts.push(buildServicePort(draft, identity, nat, entryMasquerade, problems));
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
  for (const chain of draft.chains.values()) {
    if (isJumpedTo(nat, chain) || (nat.chains.get(chain)?.rules.length ?? 0) > 0) return false;
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
  const servicePort = identity.name ?? undefined;
  const chain = (prefix: ServiceChainPrefix) => draft.chains.get(prefix) ?? null;
  const extChain = chain("KUBE-EXT-") ?? chain("KUBE-XLB-");

  if (!identity.verified && draft.chains.size > 0) reportServiceNameMismatch(draft, identity, nat, problems);

  const read = readServicePaths(nat, draft.entries, entryMasquerade, draft.hash);
  const balancing: { chain: BalancingChain; via: EndpointModel["via"] }[] = [];
  const svc = chain("KUBE-SVC-");
  const svl = chain("KUBE-SVL-");
  const xlb = chain("KUBE-XLB-");
  if (svc !== null) balancing.push({ chain: readBalancingChain(nat, svc), via: "cluster" });
  if (svl !== null) balancing.push({ chain: readBalancingChain(nat, svl), via: "local" });
  // Before KUBE-SVL (≤1.23), KUBE-XLB balanced the node-local endpoints itself.
  if (xlb !== null && balancesItself(nat, xlb)) balancing.push({ chain: readBalancingChain(nat, xlb), via: "local" });

  const endpoints = new Map<string, EndpointModel>();
  let affinitySeconds: number | null = null;
  for (const { chain: ladder, via } of balancing) {
    affinitySeconds ??= ladder.affinitySeconds;
    problems.push(...ladderProblems(ladder.chain, ladder.line, ladder.faults, servicePort));
    for (const facts of ladder.unexpected) {
      problems.push({
        kind: "unparsed-rule",
        chain: ladder.chain,
        line: facts.rule.line,
        servicePort,
        message: `balancing chain jumps to ${facts.rule.target}, which is not an endpoint chain`,
      });
    }
    for (const rung of ladder.rungs) {
      const known = endpoints.get(rung.sepChain);
      if (known !== undefined) {
        // The same endpoint in KUBE-SVC and KUBE-SVL: both rules count connections sent to it.
        known.packets += rung.counters.packets;
        known.bytes += rung.counters.bytes;
        continue;
      }
      endpoints.set(rung.sepChain, {
        address: rung.address,
        sepChain: rung.sepChain,
        chainVerified: verifyEndpoint(rung, identity, nat, problems),
        probabilityText: rung.probabilityText,
        probability: rung.probability,
        share: rung.share,
        packets: rung.counters.packets,
        bytes: rung.counters.bytes,
        via,
      });
    }
  }

  const noEndpoints: NoEndpointsVerdict[] = [];
  const addVerdict = (verdict: NoEndpointsVerdict): void => {
    const same = (v: NoEndpointsVerdict) =>
      v.action === verdict.action && v.reason === verdict.reason && v.destination === verdict.destination;
    if (!noEndpoints.some(same)) noEndpoints.push(verdict);
  };
  for (const { verdict } of draft.verdicts) addVerdict(verdict);
  for (const path of read.paths) {
    const last = path.chains[path.chains.length - 1]!;
    if (dropsForNoLocalEndpoints(chainFacts(nat, last))) {
      addVerdict({ action: "DROP", reason: "has no local endpoints", destination: path.destination });
    }
  }
  // Filter verdicts are the only trace of a port without endpoints: its cluster IP and node ports are there.
  for (const { chain: filterChain, facts } of draft.verdicts) {
    if (filterChain === SERVICES_CHAIN && facts.destination !== null && !read.clusterIPs.includes(facts.destination)) {
      read.clusterIPs.push(facts.destination);
    }
    if (facts.destination === null && facts.dstType === "LOCAL" && facts.dport !== null && !read.nodePorts.includes(facts.dport)) {
      read.nodePorts.push(facts.dport);
      read.nodePorts.sort((a, b) => a - b);
    }
  }

  const endpointList = [...endpoints.values()];
  return {
    name,
    ...splitServicePortName(name),
    protocol: identity.protocol,
    svcChain: svc,
    svlChain: svl,
    extChain,
    fwChain: chain("KUBE-FW-"),
    chainVerified: identity.verified,
    clusterIPs: read.clusterIPs,
    externalIPs: read.externalIPs,
    loadBalancerIPs: read.loadBalancerIPs,
    nodePorts: read.nodePorts,
    endpoints: endpointList,
    paths: read.paths,
    affinitySeconds,
    externalTrafficPolicy: isExternalLocal(draft, nat) ? "Local" : "Cluster",
    internalTrafficPolicy: isInternalLocal(draft, read.paths) ? "Local" : "Cluster",
    noEndpoints,
    packets: endpointList.reduce((sum, e) => sum + e.packets, 0),
  };
}

/** eTP=Local: an old KUBE-XLB chain, a KUBE-EXT that hands external traffic to KUBE-SVL or masquerades only some sources, or a filter "no local endpoints" drop. */
function isExternalLocal(draft: ServicePortDraft, nat: TableIndex): boolean {
  if (draft.chains.has("KUBE-XLB-")) return true;
  if (draft.verdicts.some((v) => v.chain !== SERVICES_CHAIN && v.verdict.reason === "has no local endpoints")) return true;
  const ext = draft.chains.get("KUBE-EXT-");
  if (ext === undefined) return false;
  const rules = chainFacts(nat, ext);
  if (rules.some((f) => f.rule.target?.startsWith("KUBE-SVL-"))) return true;
  // eTP=Cluster always starts KUBE-EXT with an unconditional "masquerade traffic for … external destinations".
  return rules.length > 0 && !rules.some((f) => f.rule.target === "KUBE-MARK-MASQ" && f.unconditional);
}

/** iTP=Local: cluster IP traffic goes to KUBE-SVL, or is dropped in filter KUBE-SERVICES for want of local endpoints. */
function isInternalLocal(draft: ServicePortDraft, paths: ServicePortModel["paths"]): boolean {
  if (paths.some((p) => p.kind === "cluster-ip" && p.chains[1]?.startsWith("KUBE-SVL-"))) return true;
  return draft.verdicts.some((v) => v.chain === SERVICES_CHAIN && v.verdict.reason === "has no local endpoints");
}

function verifyEndpoint(rung: LadderRung, identity: ServicePortIdentity, nat: TableIndex, problems: ModelProblem[]): boolean {
  const { sepChain, address } = rung;
  const declared = nat.chains.get(sepChain);
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
  for (const [prefix, chain] of draft.chains) {
    if (!nat.chains.has(chain)) continue;
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
