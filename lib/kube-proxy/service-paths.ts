/**
 * The ways into a service port: each KUBE-SERVICES / KUBE-NODEPORTS rule that jumps into its chain family, the hops
 * a new connection then takes (KUBE-FW → KUBE-EXT → KUBE-SVC/KUBE-SVL, or an old KUBE-XLB) and whether it is marked
 * for masquerade on the way.
 *
 * Masquerade rules moved over the years: inside KUBE-SERVICES next to the jump (≤1.21), inside KUBE-SVC for node
 * ports (`--dport NODEPORT -j KUBE-MARK-MASQ`), in KUBE-NODEPORTS, and now in KUBE-EXT and KUBE-SVC. A masquerade
 * rule applies to a path when its `-d` and `--dport` (if any) are the path's: the cluster-IP rule in KUBE-SVC
 * (`-d VIP`) does not touch node-port traffic, which still has the node's address as destination at that point.
 */
import type { Rule } from "../iptables/types";
import { ENDPOINT_CHAIN_PREFIX, isChainHash, SERVICE_CHAIN_PREFIXES } from "./chain-names";
import { joinHostPort, type RuleFacts } from "./rule-facts";
import { chainFacts, indexedChain, ruleFacts, type IndexedChain, type TableIndex } from "./table-index";
import type { PathKind, ServicePath } from "./types";

/** A rule of KUBE-SERVICES or KUBE-NODEPORTS jumping into a service port's chains. */
export interface EntryRule {
  chain: string;
  facts: RuleFacts;
}

/** The paths of one service port and the addresses they reveal. */
export interface ServicePathsRead {
  paths: ServicePath[];
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  nodePorts: number[];
}

export const NODEPORTS_CHAIN = "KUBE-NODEPORTS";
export const SERVICES_CHAIN = "KUBE-SERVICES";
const MARK_MASQ = "KUBE-MARK-MASQ";
const NO_RULES: readonly Rule[] = [];

const KIND_ORDER: readonly PathKind[] = ["cluster-ip", "external-ip", "load-balancer", "node-port"];
type Masquerade = ServicePath["masquerade"];
const MASQUERADE_RANK: Record<Masquerade, number> = { never: 0, "off-cluster": 1, always: 2 };

/** Key of the masquerade rules of an entry chain that go with a jump rule: same chain, destination, port, protocol. */
export function entryMasqueradeKey(chain: string, facts: RuleFacts): string {
  return `${chain}|${facts.destination ?? ""}|${facts.dport ?? ""}|${facts.protocol ?? ""}`;
}

/** Masquerade rules of KUBE-SERVICES and KUBE-NODEPORTS, by {@link entryMasqueradeKey}. */
export function indexEntryMasquerade(index: TableIndex): Map<string, RuleFacts[]> {
  const byKey = new Map<string, RuleFacts[]>();
  for (const chain of [SERVICES_CHAIN, NODEPORTS_CHAIN]) {
    for (const facts of chainFacts(index, chain)) {
      if (facts.rule.target !== MARK_MASQ) continue;
      const key = entryMasqueradeKey(chain, facts);
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [facts]);
      else list.push(facts);
    }
  }
  return byKey;
}

function pathKind(entry: EntryRule, target: string): PathKind {
  if (entry.chain === NODEPORTS_CHAIN) return "node-port";
  switch (entry.facts.commentKind) {
    case "cluster-ip":
    case "external-ip":
    case "load-balancer":
      return entry.facts.commentKind;
  }
  // Large-cluster mode keeps KUBE-SERVICES comments, but a hand-written rule may lack one: read the target.
  if (target.startsWith("KUBE-FW-")) return "load-balancer";
  if (target.startsWith("KUBE-EXT-") || target.startsWith("KUBE-XLB-")) return "external-ip";
  return "cluster-ip";
}

/**
 * The next hop from a KUBE-FW/EXT/XLB chain, and the index of the rule that takes it. KUBE-FW passes allowed
 * sources on with its first jump. KUBE-EXT (and KUBE-XLB) end with the jump external traffic takes; the jumps
 * before it are for pod and node-local sources. Without an unconditional one (eTP=Local and no local endpoint)
 * external traffic goes nowhere in nat: the filter table drops it.
 */
function nextHop(index: TableIndex, indexed: IndexedChain, hash: string): { chain: string; at: number } | null {
  const chain = indexed.chain.name;
  const rules = indexed.chain.rules;
  const isFirewall = chain.startsWith("KUBE-FW-");
  let found: { chain: string; at: number } | null = null;
  for (let i = 0; i < rules.length; i++) {
    const target = rules[i]!.target;
    if (target === null || target === chain || !isServiceChainOf(target, hash)) continue;
    if (isFirewall) return { chain: target, at: i };
    if (ruleFacts(index, indexed, i).unconditional) found = { chain: target, at: i };
  }
  return found;
}

/**
 * True when `target` is a service chain with hash `hash` (as splitServiceChainName would say), compared in place: a
 * service chain prefix, then exactly the hash.
 */
function isServiceChainOf(target: string, hash: string): boolean {
  if (target.length < 24 || !target.endsWith(hash) || !isChainHash(hash)) return false;
  const prefixLength = target.length - hash.length;
  for (const prefix of SERVICE_CHAIN_PREFIXES) {
    if (prefix.length === prefixLength && target.startsWith(prefix)) return true;
  }
  return false;
}

/** True when the chain jumps to endpoint chains itself (see balancesItself), for a chain already looked up. */
function jumpsToEndpoints(indexed: IndexedChain): boolean {
  const rules = indexed.chain.rules;
  for (let i = 0; i < rules.length; i++) if (rules[i]!.target?.startsWith(ENDPOINT_CHAIN_PREFIX) === true) return true;
  return false;
}

/**
 * Scope of one masquerade rule, from the source conditions it adds to destination, port and protocol:
 * `! -s POD_CIDR` (or `! -i cni0`, …) is everything not from a pod; `-s 127.0.0.0/8`, `--src-type LOCAL` only the
 * node's own traffic, so remote clients keep their source address.
 */
function masqueradeScope(facts: RuleFacts): Masquerade {
  if (facts.positiveCondition) return "never";
  return facts.negatedCondition ? "off-cluster" : "always";
}

function applies(facts: RuleFacts, host: string | null, port: number | null): boolean {
  if (facts.rule.target !== MARK_MASQ) return false;
  if (facts.destination !== null && (facts.destinationNegated || facts.destination !== host)) return false;
  return facts.dport === null || facts.dport === port;
}

function sameChains(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function strongest(a: Masquerade, b: Masquerade): Masquerade {
  return MASQUERADE_RANK[b] > MASQUERADE_RANK[a] ? b : a;
}

/** A path found, with the line of its entry rule (paths are listed by kind, then entry line) and its host. */
interface FoundPath {
  path: ServicePath;
  line: number;
  host: string | null;
}

/** The paths of the port being read (reused: most ports have one or two). */
const foundScratch: FoundPath[] = [];

/** True when a path of that kind, destination and chains was found already. */
function alreadyFound(found: readonly FoundPath[], kind: PathKind, destination: string, chains: readonly string[]): boolean {
  for (let i = 0; i < found.length; i++) {
    const { path } = found[i]!;
    if (path.kind === kind && path.destination === destination && sameChains(path.chains, chains)) return true;
  }
  return false;
}

function byKindThenLine(a: FoundPath, b: FoundPath): number {
  return KIND_ORDER.indexOf(a.path.kind) - KIND_ORDER.indexOf(b.path.kind) || a.line - b.line;
}

/** Adds `value` to a list of the model unless it is there; a list's first value makes it (an array made to size). */
function addOnce<T>(list: T[] | null, value: T): T[] {
  if (list === null) return [value];
  if (!list.includes(value)) list.push(value);
  return list;
}

/** Reads every path into the service port with chain hash `hash`. */
export function readServicePaths(
  index: TableIndex,
  entries: readonly EntryRule[],
  entryMasquerade: Map<string, RuleFacts[]>,
  hash: string,
): ServicePathsRead {
  // A large node's model holds these lists for each of its ~10k ports, most of one or two items: they are made as
  // literals, to size, where pushes to empty arrays would reserve room for 17.
  const found = foundScratch;
  found.length = 0;

  for (const entry of entries) {
    const target = entry.facts.rule.target!;
    const kind = pathKind(entry, target);
    const host = entry.facts.destinationNegated ? null : entry.facts.destination;
    const port = entry.facts.dport;
    const destination = kind === "node-port" && host === null ? `:${port ?? ""}` : joinHostPort(host ?? "", port ?? "");

    let masquerade: Masquerade = "never";
    // Current kube-proxy writes no masquerade rule in the entry chains: no key to build then.
    const entryRules = entryMasquerade.size === 0 ? undefined : entryMasquerade.get(entryMasqueradeKey(entry.chain, entry.facts));
    if (entryRules !== undefined) {
      for (const facts of entryRules) {
        if (facts.rule.line < entry.facts.rule.line) masquerade = strongest(masquerade, masqueradeScope(facts));
      }
    }

    let chains = [entry.chain, target];
    let current = target;
    for (;;) {
      const indexed = indexedChain(index, current);
      const balancing =
        current.startsWith("KUBE-SVC-") || current.startsWith("KUBE-SVL-") || (indexed !== undefined && jumpsToEndpoints(indexed));
      const hop = balancing || indexed === undefined ? null : nextHop(index, indexed, hash);
      const rules = indexed?.chain.rules ?? NO_RULES;
      const until = hop === null ? rules.length : hop.at;
      for (let i = 0; i < until; i++) {
        // Only masquerade rules matter: their facts are read, the others' not.
        if (rules[i]!.target !== MARK_MASQ) continue;
        const facts = ruleFacts(index, indexed!, i);
        if (applies(facts, kind === "node-port" ? null : host, port)) masquerade = strongest(masquerade, masqueradeScope(facts));
      }
      if (hop === null || chains.includes(hop.chain)) break;
      // Made anew to size: the model keeps each path's chains, and a push would reserve room for 17 more.
      chains = [...chains, hop.chain];
      current = hop.chain;
    }

    // Old versions wrote several jumps for one external IP (physdev and addrtype variants): one path.
    if (alreadyFound(found, kind, destination, chains)) continue;
    found.push({ path: { kind, destination, chains, masquerade }, line: entry.facts.rule.line, host });
  }

  if (found.length > 1) found.sort(byKindThenLine);
  let paths: ServicePath[] | null = null;
  let clusterIPs: string[] | null = null;
  let externalIPs: string[] | null = null;
  let loadBalancerIPs: string[] | null = null;
  for (const { path, host } of found) {
    if (paths === null) paths = [path];
    else paths.push(path);
    if (host === null) continue;
    if (path.kind === "cluster-ip") clusterIPs = addOnce(clusterIPs, path.destination);
    else if (path.kind === "external-ip") externalIPs = addOnce(externalIPs, path.destination);
    else if (path.kind === "load-balancer") loadBalancerIPs = addOnce(loadBalancerIPs, path.destination);
  }
  let nodePorts: number[] | null = null;
  for (const entry of entries) {
    if (entry.chain === NODEPORTS_CHAIN && entry.facts.dport !== null) nodePorts = addOnce(nodePorts, entry.facts.dport);
  }
  if (nodePorts !== null && nodePorts.length > 1) nodePorts.sort((a, b) => a - b);
  found.length = 0; // no model kept alive by the scratch
  return {
    paths: paths ?? [],
    clusterIPs: clusterIPs ?? [],
    externalIPs: externalIPs ?? [],
    loadBalancerIPs: loadBalancerIPs ?? [],
    nodePorts: nodePorts ?? [],
  };
}
