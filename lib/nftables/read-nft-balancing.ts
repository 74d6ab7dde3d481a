/**
 * The endpoints a service (or local) chain balances over, read from its `numgen random mod N vmap { … }` rule and the
 * endpoint chains it jumps to.
 *
 * nftables mode has no probability ladder: kube-proxy writes one `numgen random mod N` rule whose verdict map sends
 * index i to endpoint i, so each of the N entries takes 1/N of new connections (an endpoint listed k times would take
 * k/N). `probability` and `probabilityText` are therefore null for every endpoint and `share` carries the weight.
 */
import type { EndpointModel, ModelProblem, Protocol } from "../kube-proxy/types";
import { nftEndpointChainNameBase } from "../kube-proxy/chain-names";
import { parseNftChainName } from "./read-nft-chain-name";
import { hostPort, KUBE_PROXY_NAMES, ruleViews, type NftTableIndex } from "./nft-table-index";
import type { NftCounter } from "./types";

export interface Balancing {
  endpoints: EndpointModel[];
  /** ClientIP affinity timeout from the affinity sets (or `update … timeout`); null without affinity. */
  affinitySeconds: number | null;
  /** Counters of the balancing rules themselves, for when the endpoint rules carry none. */
  balancingCounter: NftCounter | null;
  /** True when an endpoint chain's DNAT rule carries a counter. */
  endpointCounters: boolean;
  problems: ModelProblem[];
}

/** `10.0.1.1/80` or `fd00.10..1/80` (an endpoint chain name's tail) back to `10.0.1.1:80` or `[fd00:10::1]:80`. */
function addressFromName(endpoint: string): string {
  const slash = endpoint.lastIndexOf("/");
  const host = endpoint.slice(0, slash);
  const looksV6 = !/^\d+\.\d+\.\d+\.\d+$/.test(host);
  return hostPort(looksV6 ? host.replaceAll(".", ":") : host, endpoint.slice(slash + 1));
}

/** The endpoint behind an endpoint chain: its DNAT target, its counter and whether its name is kube-proxy's. */
function readEndpoint(
  index: NftTableIndex, servicePortName: string, protocol: Protocol, chain: string, via: "cluster" | "local", problems: ModelProblem[],
): EndpointModel & { counted: boolean } {
  const rules = ruleViews(index, chain);
  const dnat = rules.find(({ view }) => view.dnatTo !== null);
  const parts = index.names.get(chain) ?? parseNftChainName(chain);
  let address = dnat?.view.dnatTo ?? null;
  if (address === null) {
    address = parts?.endpoint ? addressFromName(parts.endpoint) : "";
    if (index.chains.has(chain)) {
      problems.push({ kind: "unparsed-rule", chain, servicePort: servicePortName, message: `endpoint chain ${chain} has no dnat rule` });
    }
  }
  const expected = `endpoint-${nftEndpointChainNameBase(servicePortName, protocol, address)}`;
  const chainVerified = chain === expected;
  if (!chainVerified && address !== "") {
    problems.push({
      kind: "chain-name-mismatch",
      chain,
      servicePort: servicePortName,
      message: `endpoint chain of ${servicePortName} (${protocol}) for ${address} should be named ${expected}`,
    });
  }
  const counter = dnat?.rule.counter ?? null;
  return {
    address,
    sepChain: chain,
    chainVerified,
    probabilityText: null,
    probability: null,
    share: 0,
    packets: counter?.packets ?? 0,
    bytes: counter?.bytes ?? 0,
    via,
    counted: counter !== null,
  };
}

/** Reads the balancing of `chain` (a service-… or local-… chain) for one service port. */
export function readBalancing(
  index: NftTableIndex, servicePortName: string, protocol: Protocol, chain: string, via: "cluster" | "local",
): Balancing {
  const problems: ModelProblem[] = [];
  const endpoints: EndpointModel[] = [];
  let affinitySeconds: number | null = null;
  let balancingCounter: NftCounter | null = null;
  let endpointCounters = false;
  for (const { rule, view } of ruleViews(index, chain)) {
    if (view.saddr?.value.startsWith("@") && view.verdict?.kind === "goto") {
      // ClientIP affinity: a source seen within the timeout goes straight to the endpoint it was sent to before.
      const set = index.sets.get(view.saddr.value.slice(1));
      const update = ruleViews(index, view.verdict.chain).find(({ view: v }) => v.update !== null)?.view.update;
      affinitySeconds ??= set?.timeoutSeconds ?? update?.timeoutSeconds ?? null;
      continue;
    }
    if (view.vmap === null || view.numgenModulus === null) continue;
    const modulus = view.numgenModulus;
    balancingCounter = rule.counter;
    const weights = new Map<string, number>();
    const seen = new Set<number>();
    for (const entry of view.vmap) {
      if (entry.index >= modulus || seen.has(entry.index)) {
        problems.push({
          kind: "probability-ladder", chain, line: rule.line, servicePort: servicePortName,
          message: `vmap entry ${entry.index} can never be drawn by numgen random mod ${modulus}`,
        });
        continue;
      }
      seen.add(entry.index);
      weights.set(entry.verdict.chain!, (weights.get(entry.verdict.chain!) ?? 0) + 1);
    }
    if (seen.size < modulus) {
      problems.push({
        kind: "probability-ladder", chain, line: rule.line, servicePort: servicePortName,
        message: `numgen random mod ${modulus} maps only ${seen.size} of ${modulus} values; the rest fall through the chain`,
      });
    }
    for (const [endpointChain, weight] of weights) {
      const { counted, ...endpoint } = readEndpoint(index, servicePortName, protocol, endpointChain, via, problems);
      endpointCounters ||= counted;
      endpoints.push({ ...endpoint, share: weight / modulus });
    }
  }
  return { endpoints, affinitySeconds, balancingCounter, endpointCounters, problems };
}

/** True when the chain marks traffic to `vip` for masquerade: `ip daddr VIP [ip saddr != CIDR] jump mark-for-masquerade`. */
export function clusterMasquerade(index: NftTableIndex, chain: string, vip: string): "always" | "off-cluster" | "never" {
  for (const { view } of ruleViews(index, chain)) {
    if (view.verdict?.kind !== "jump" || view.verdict.chain !== KUBE_PROXY_NAMES.markMasqChain) continue;
    if (view.daddr !== null && view.daddr.value !== vip) continue;
    return view.saddr?.negated ? "off-cluster" : "always";
  }
  return "never";
}
