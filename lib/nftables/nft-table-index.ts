/**
 * The kube-proxy table of a parsed ruleset, indexed by name, with every rule read once, and the service ports its
 * maps name. Shared by the model builder and the problem finder.
 */
import { parseNftChainName, type NftChainNameParts } from "./read-nft-chain-name";
import { readNftRule, type NftRuleView } from "./read-nft-rule";
import type { NftChain, NftRule, NftRuleset, NftSet, NftTable } from "./types";

/** kube-proxy's fixed names (pkg/proxy/nftables/proxier.go). */
export const KUBE_PROXY_NAMES = {
  table: "kube-proxy",
  servicesChain: "services",
  firewallCheckChain: "firewall-check",
  markMasqChain: "mark-for-masquerade",
  rejectChain: "reject-chain",
  clusterIPsSet: "cluster-ips",
  serviceIPsMap: "service-ips",
  serviceNodePortsMap: "service-nodeports",
  firewallIPsMap: "firewall-ips",
  noEndpointServicesMap: "no-endpoint-services",
  noEndpointNodePortsMap: "no-endpoint-nodeports",
} as const;

export interface NftTableIndex {
  table: NftTable;
  family: "ipv4" | "ipv6";
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
  /** Each rule read once. */
  views: Map<NftRule, NftRuleView>;
  /** kube-proxy's per-service chains and affinity sets, read back from their names. */
  names: Map<string, NftChainNameParts>;
}

/** The `kube-proxy` table of the family asked for, else the IPv4 one, else the IPv6 one; null when there is none. */
export function findKubeProxyTable(ruleset: NftRuleset, family?: "ipv4" | "ipv6"): NftTable | null {
  const wanted = family === undefined ? ["ip", "ip6"] : [family === "ipv4" ? "ip" : "ip6"];
  for (const nftFamily of wanted) {
    const table = ruleset.tables.find((t) => t.family === nftFamily && t.name === KUBE_PROXY_NAMES.table);
    if (table) return table;
  }
  return null;
}

export function indexTable(table: NftTable): NftTableIndex {
  const chains = new Map(table.chains.map((c) => [c.name, c]));
  const sets = new Map(table.sets.map((s) => [s.name, s]));
  const views = new Map<NftRule, NftRuleView>();
  const names = new Map<string, NftChainNameParts>();
  for (const chain of table.chains) {
    for (const rule of chain.rules) views.set(rule, readNftRule(rule));
    const parts = parseNftChainName(chain.name);
    if (parts && parts.kind !== "affinity") names.set(chain.name, parts);
  }
  for (const set of table.sets) {
    const parts = parseNftChainName(set.name);
    if (parts?.kind === "affinity") names.set(set.name, parts);
  }
  return { table, family: table.family === "ip6" ? "ipv6" : "ipv4", chains, sets, views, names };
}

/** The rules of a chain with their views; empty when the chain does not exist. */
export function ruleViews(index: NftTableIndex, chain: string | null): { rule: NftRule; view: NftRuleView }[] {
  const rules = chain === null ? undefined : index.chains.get(chain)?.rules;
  return (rules ?? []).map((rule) => ({ rule, view: index.views.get(rule)! }));
}

/** `ip:port`, or `[ip]:port` for IPv6, as ServicePath and EndpointModel write destinations. */
export function hostPort(ip: string, port: string | number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
