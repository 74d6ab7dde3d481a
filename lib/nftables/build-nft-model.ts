/**
 * Builds the kube-proxy model (`ProxyModel`, mode "nftables") from a node's `table ip kube-proxy` (or `ip6`), so a
 * node in nftables mode shows the same services, endpoints and policies as one in iptables mode.
 *
 * Where nftables mode keeps things (pkg/proxy/nftables/proxier.go):
 * - `service-ips` map: `VIP . proto . port : goto CHAIN` for ClusterIPs (→ service-… or, with
 *   internalTrafficPolicy Local, local-…) and for external and load-balancer IPs (→ external-…);
 * - `service-nodeports` map: `proto . port : goto external-…`;
 * - `firewall-ips` map: load-balancer IPs with source ranges → firewall-…;
 * - `no-endpoint-services` / `no-endpoint-nodeports` maps: `goto reject-chain` (no endpoints) or `drop` (no local
 *   endpoints), commented with the service port name;
 * - service-/local- chains balance with `numgen random mod N vmap { … }`, endpoint-… chains DNAT.
 *
 * Two things nftables mode does not say, documented where they matter:
 * - balancing is uniform (see read-nft-balancing.ts): every endpoint gets probability null and share k/N;
 * - an external IP and a load-balancer IP look the same in `service-ips`. An IP is a load-balancer IP when
 *   `firewall-ips` names it (LoadBalancerSourceRanges); any other non-cluster IP is reported as an external IP.
 */
import type { ModelProblem, PathKind, Protocol, ProxyModel, ServicePath, ServicePortModel } from "../kube-proxy/types";
import { nftServicePortChainNameBase } from "../kube-proxy/chain-names";
import type { NftChainNameParts } from "./read-nft-chain-name";
import { findNftProblems } from "./find-nft-problems";
import { clusterMasquerade, readBalancing } from "./read-nft-balancing";
import { findKubeProxyTable, hostPort, indexTable, KUBE_PROXY_NAMES, ruleViews, type NftTableIndex } from "./nft-table-index";
import type { NftRuleset, NftSetElement } from "./types";

const PROTOCOLS = new Set<string>(["tcp", "udp", "sctp"]);
const PATH_ORDER: PathKind[] = ["cluster-ip", "external-ip", "load-balancer", "node-port"];

/** Options of `buildNftProxyModel`. */
export interface NftModelOptions {
  /** Which kube-proxy table to read; default: `ip kube-proxy`, else `ip6 kube-proxy`. */
  family?: "ipv4" | "ipv6";
}

/** A service port under construction, with where its paths enter. */
interface PortDraft {
  model: ServicePortModel;
  /** Destination and target chain of every `service-ips` / `service-nodeports` entry. */
  entries: { kind: PathKind; destination: string; vip: string | null; port: string; chain: string }[];
}

function emptyPort(servicePortName: string, namespace: string, service: string, portName: string, protocol: Protocol): ServicePortModel {
  return {
    name: servicePortName, namespace, service, portName, protocol,
    svcChain: null, svlChain: null, extChain: null, fwChain: null, chainVerified: true,
    clusterIPs: [], externalIPs: [], loadBalancerIPs: [], nodePorts: [], endpoints: [], paths: [],
    affinitySeconds: null, externalTrafficPolicy: "Cluster", internalTrafficPolicy: "Cluster", noEndpoints: [], packets: 0,
  };
}

function portFor(drafts: Map<string, PortDraft>, parts: Pick<NftChainNameParts, "servicePortName" | "namespace" | "service" | "portName">, protocol: Protocol): PortDraft {
  const key = `${parts.servicePortName} ${protocol}`;
  let draft = drafts.get(key);
  if (!draft) {
    draft = { model: emptyPort(parts.servicePortName, parts.namespace, parts.service, parts.portName, protocol), entries: [] };
    drafts.set(key, draft);
  }
  return draft;
}

/** `ns/name:port` of a no-endpoints element's comment → its parts; null when the comment is not one. */
function partsFromComment(comment: string | null): Pick<NftChainNameParts, "servicePortName" | "namespace" | "service" | "portName"> | null {
  const match = comment === null ? null : /^([^/\s]+)\/([^:\s]+)(?::(\S*))?$/.exec(comment);
  if (!match) return null;
  return { servicePortName: comment!, namespace: match[1]!, service: match[2]!, portName: match[3] ?? "" };
}

function addUnique<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}

/** `VIP . proto . port` (or `proto . port` in the node-port maps) of a map element; null for another shape. */
function serviceKey(element: NftSetElement, nodePort: boolean): { vip: string | null; protocol: Protocol; port: string } | null {
  const parts = element.keyParts;
  if (parts.length !== (nodePort ? 2 : 3)) return null;
  const [vip, protocol, port] = nodePort ? [null, parts[0]!, parts[1]!] : [parts[0]!, parts[1]!, parts[2]!];
  if (!PROTOCOLS.has(protocol) || !/^\d+$/.test(port)) return null;
  return { vip, protocol: protocol as Protocol, port };
}

function elementsOf(index: NftTableIndex, map: string): NftSetElement[] {
  return index.sets.get(map)?.elements ?? [];
}

/** Reads `service-ips` and `service-nodeports`: the paths into each service port. */
function readServiceMaps(index: NftTableIndex, drafts: Map<string, PortDraft>, firewalled: Set<string>, problems: ModelProblem[]): void {
  const maps = [KUBE_PROXY_NAMES.serviceIPsMap, KUBE_PROXY_NAMES.serviceNodePortsMap];
  for (const map of maps) {
    for (const element of elementsOf(index, map)) {
      const nodePort = map === KUBE_PROXY_NAMES.serviceNodePortsMap;
      const key = serviceKey(element, nodePort);
      const chain = element.verdict?.chain ?? null;
      const parts = chain === null ? undefined : index.names.get(chain);
      if (!parts || !key || chain === null) {
        problems.push({ kind: "unparsed-rule", chain: map, line: element.line, message: `${map} element '${element.key} : ${element.value}' names no kube-proxy chain` });
        continue;
      }
      const { vip, protocol, port } = key;
      if (parts.protocol !== protocol) {
        problems.push({ kind: "chain-name-mismatch", chain: chain!, line: element.line, servicePort: parts.servicePortName, message: `${map} sends ${element.key} (${protocol}) to a chain named for ${parts.protocol}` });
      }
      const draft = portFor(drafts, parts, protocol);
      const model = draft.model;
      if (nodePort) {
        addUnique(model.nodePorts, Number(port));
        draft.entries.push({ kind: "node-port", destination: `:${port}`, vip: null, port, chain: chain! });
      } else if (parts.kind === "service" || parts.kind === "local") {
        addUnique(model.clusterIPs, hostPort(vip!, port));
        if (parts.kind === "local") model.internalTrafficPolicy = "Local";
        draft.entries.push({ kind: "cluster-ip", destination: hostPort(vip!, port), vip, port, chain: chain! });
      } else {
        const kind: PathKind = firewalled.has(vip!) ? "load-balancer" : "external-ip";
        addUnique(kind === "load-balancer" ? model.loadBalancerIPs : model.externalIPs, hostPort(vip!, port));
        draft.entries.push({ kind, destination: hostPort(vip!, port), vip, port, chain: chain! });
      }
    }
  }
}

/** Reads `firewall-ips` and the two no-endpoints maps. */
function readFilterMaps(index: NftTableIndex, drafts: Map<string, PortDraft>, problems: ModelProblem[]): void {
  const clusterIPs = new Set(elementsOf(index, KUBE_PROXY_NAMES.clusterIPsSet).map((e) => e.key));
  const firewalled = new Set<string>();
  for (const element of elementsOf(index, KUBE_PROXY_NAMES.firewallIPsMap)) {
    const parts = element.verdict?.chain ? index.names.get(element.verdict.chain) : undefined;
    const key = serviceKey(element, false);
    if (!parts || !key?.vip) continue;
    firewalled.add(key.vip);
    addUnique(portFor(drafts, parts, key.protocol).model.loadBalancerIPs, hostPort(key.vip, key.port));
  }
  for (const map of [KUBE_PROXY_NAMES.noEndpointServicesMap, KUBE_PROXY_NAMES.noEndpointNodePortsMap]) {
    for (const element of elementsOf(index, map)) {
      const nodePort = map === KUBE_PROXY_NAMES.noEndpointNodePortsMap;
      const key = serviceKey(element, nodePort);
      const parts = partsFromComment(element.comment);
      const verdict = element.verdict;
      const rejects = verdict?.kind === "goto" && verdict.chain === KUBE_PROXY_NAMES.rejectChain;
      if (!parts || !key || !(rejects || verdict?.kind === "drop")) {
        problems.push({ kind: "unparsed-rule", chain: map, line: element.line, message: `${map} element '${element.key}' has no service port comment or verdict natwatch reads` });
        continue;
      }
      const { vip, protocol, port } = key;
      const model = portFor(drafts, parts, protocol).model;
      const isCluster = vip !== null && clusterIPs.has(vip);
      if (nodePort) addUnique(model.nodePorts, Number(port));
      else if (isCluster) addUnique(model.clusterIPs, hostPort(vip!, port));
      else addUnique(firewalled.has(vip!) ? model.loadBalancerIPs : model.externalIPs, hostPort(vip!, port));
      model.noEndpoints.push({
        action: rejects ? "REJECT" : "DROP",
        // kube-proxy's own words in iptables mode's filter rules, so both modes read alike.
        reason: rejects ? "has no endpoints" : "has no local endpoints",
        destination: nodePort ? `:${port}` : hostPort(vip!, port),
      });
      if (!rejects && isCluster) model.internalTrafficPolicy = "Local";
      if (!rejects && !isCluster) model.externalTrafficPolicy = "Local";
    }
  }
  readServiceMaps(index, drafts, firewalled, problems);
}

/**
 * Follows an external-… chain. With externalTrafficPolicy Cluster it masquerades everything and goes to the service
 * chain; with Local it short-circuits pod and node-local sources to the service chain and sends the rest to the
 * local-… chain — or nowhere, when the node has no local endpoint.
 */
function readExternalChain(
  index: NftTableIndex, chain: string,
): { next: string | null; shortCircuits: string[]; masquerade: "always" | "never"; local: boolean } {
  let masquerade: "always" | "never" = "never";
  let local = false;
  let next: string | null = null;
  const shortCircuits: string[] = [];
  for (const { view } of ruleViews(index, chain)) {
    const conditional = view.saddr !== null || view.daddr !== null || view.fromLocalAddress;
    const target = view.verdict?.chain ?? null;
    if (target === KUBE_PROXY_NAMES.markMasqChain && !conditional) masquerade = "always";
    else if (target !== null && target !== KUBE_PROXY_NAMES.markMasqChain && conditional) {
      local = true;
      shortCircuits.push(target);
    }
    else if (target !== null && view.verdict?.kind === "goto" && !conditional) next = target;
  }
  if (next !== null && index.names.get(next)?.kind === "local") local = true;
  return { next, shortCircuits, masquerade, local };
}

function finishPort(index: NftTableIndex, draft: PortDraft, problems: ModelProblem[]): ServicePortModel {
  const model = draft.model;
  const base = nftServicePortChainNameBase(model.name, model.protocol);
  const reached = new Set<string>();
  for (const entry of draft.entries) {
    let chains = [KUBE_PROXY_NAMES.servicesChain, entry.chain];
    let masquerade: ServicePath["masquerade"];
    reached.add(entry.chain);
    if (entry.kind === "cluster-ip") {
      masquerade = clusterMasquerade(index, entry.chain, entry.vip!);
    } else {
      const external = readExternalChain(index, entry.chain);
      if (external.next !== null) chains.push(external.next);
      for (const chain of [external.next, ...external.shortCircuits]) if (chain !== null) reached.add(chain);
      if (external.local) model.externalTrafficPolicy = "Local";
      masquerade = external.masquerade;
      const firewallKey = `${entry.vip} . ${model.protocol} . ${entry.port}`;
      const firewall = elementsOf(index, KUBE_PROXY_NAMES.firewallIPsMap).find((e) => e.key === firewallKey);
      if (firewall?.verdict?.chain) {
        // The firewall check runs in a filter chain hooked before DNAT (priority dstnat - 10).
        chains = [KUBE_PROXY_NAMES.firewallCheckChain, firewall.verdict.chain, ...chains];
        reached.add(firewall.verdict.chain);
      }
    }
    if (!model.paths.some((p) => p.kind === entry.kind && p.destination === entry.destination)) {
      model.paths.push({ kind: entry.kind, destination: entry.destination, chains, masquerade });
    }
  }
  for (const chain of reached) {
    const kind = index.names.get(chain)?.kind;
    if (kind === "service") model.svcChain ??= chain;
    if (kind === "local") model.svlChain ??= chain;
    if (kind === "external") model.extChain ??= chain;
    if (kind === "firewall") model.fwChain ??= chain;
  }
  const named = [model.svcChain, model.svlChain, model.extChain, model.fwChain].filter((c): c is string => c !== null);
  model.chainVerified = named.every((chain) => chain.slice(chain.indexOf("-") + 1) === base);
  // New connections: the endpoint chains' DNAT counters see every one (affinity hits bypass the vmap); without them
  // the balancing rules' own counters are the next best.
  let endpointCounters = false;
  let balancingPackets = 0;
  for (const [chain, via] of [[model.svcChain, "cluster"], [model.svlChain, "local"]] as const) {
    if (chain === null) continue;
    const balancing = readBalancing(index, model.name, model.protocol, chain, via);
    for (const endpoint of balancing.endpoints) {
      if (!model.endpoints.some((e) => e.sepChain === endpoint.sepChain)) model.endpoints.push(endpoint);
    }
    model.affinitySeconds ??= balancing.affinitySeconds;
    endpointCounters ||= balancing.endpointCounters;
    balancingPackets += balancing.balancingCounter?.packets ?? 0;
    problems.push(...balancing.problems);
  }
  model.packets = endpointCounters ? model.endpoints.reduce((sum, e) => sum + e.packets, 0) : balancingPackets;
  const byAddress = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
  model.clusterIPs.sort(byAddress);
  model.externalIPs.sort(byAddress);
  model.loadBalancerIPs.sort(byAddress);
  model.nodePorts.sort((a, b) => a - b);
  model.paths.sort((a, b) => PATH_ORDER.indexOf(a.kind) - PATH_ORDER.indexOf(b.kind) || byAddress(a.destination, b.destination));
  // kube-proxy's order (and iptables mode's rule order): cluster IPs, external and load-balancer IPs, node ports.
  const clusterIPs = new Set(model.clusterIPs);
  const hostOf = (destination: string) => destination.slice(0, destination.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
  const rank = (destination: string) => (destination.startsWith(":") ? 2 : clusterIPs.has(hostOf(destination)) ? 0 : 1);
  model.noEndpoints.sort((a, b) => rank(a.destination) - rank(b.destination) || byAddress(a.destination, b.destination));
  return model;
}

/**
 * Builds the model of the kube-proxy table in `ruleset`. Never throws; a ruleset without a kube-proxy table gives a
 * model with no service ports. Element order in sets is the kernel's, not kube-proxy's, so every list that comes from
 * a set is sorted: the listing and the script of the same state give equal models.
 */
export function buildNftProxyModel(ruleset: NftRuleset, options: NftModelOptions = {}): ProxyModel {
  const table = findKubeProxyTable(ruleset, options.family);
  if (table === null) return { mode: "nftables", family: options.family ?? "ipv4", servicePorts: [], problems: [] };
  const index = indexTable(table);
  const drafts = new Map<string, PortDraft>();
  const problems: ModelProblem[] = [];
  readFilterMaps(index, drafts, problems);
  const servicePorts = [...drafts.values()]
    .map((draft) => finishPort(index, draft, problems))
    .sort((a, b) => a.name.localeCompare(b.name) || a.protocol.localeCompare(b.protocol));
  problems.push(...findNftProblems(index));
  return { mode: "nftables", family: index.family, servicePorts, problems: dedupeProblems(problems) };
}

function dedupeProblems(problems: ModelProblem[]): ModelProblem[] {
  const seen = new Map<string, ModelProblem>();
  for (const problem of problems) seen.set(`${problem.kind}|${problem.chain}|${problem.line ?? ""}|${problem.message}`, problem);
  return [...seen.values()].sort(
    (a, b) => a.chain.localeCompare(b.chain) || (a.line ?? 0) - (b.line ?? 0) || a.kind.localeCompare(b.kind) || a.message.localeCompare(b.message),
  );
}
