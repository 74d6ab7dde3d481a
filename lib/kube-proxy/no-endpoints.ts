/**
 * Services without (local) endpoints. kube-proxy writes no nat chain for them; their traffic is refused in the filter
 * table instead: `"SPN has no endpoints" … -j REJECT` in KUBE-SERVICES (cluster IPs) and KUBE-EXTERNAL-SERVICES
 * (external and load-balancer IPs, node ports), and `"SPN has no local endpoints" … -j DROP` under a Local traffic
 * policy. Older versions (≤1.23) dropped in nat instead, with `"SPN has no local endpoints" -j KUBE-MARK-DROP` at
 * the end of KUBE-XLB (or KUBE-SVL).
 */
import type { Rule } from "../iptables/types";
import { joinHostPort, readRuleFacts, type RuleFacts } from "./rule-facts";
import { chainFacts, type TableIndex } from "./table-index";
import { asProtocol } from "./verify-chains";
import type { NoEndpointsVerdict, Protocol } from "./types";

/** A filter-table verdict and the service port it names. */
export interface FilterVerdict {
  servicePortName: string;
  protocol: Protocol;
  /** The filter chain holding it: KUBE-SERVICES (cluster IPs) or KUBE-EXTERNAL-SERVICES. */
  chain: string;
  verdict: NoEndpointsVerdict;
  facts: RuleFacts;
}

const REASONS = { "no-endpoints": "has no endpoints", "no-local-endpoints": "has no local endpoints" } as const;

/** Destination of a verdict rule: `ip:port`, or `:port` for node ports (matched with `--dst-type LOCAL`). */
function verdictDestination(facts: RuleFacts): string {
  const port = facts.dport ?? "";
  return facts.destination === null || facts.destinationNegated ? `:${port}` : joinHostPort(facts.destination, port);
}

/** Every no-endpoints REJECT/DROP of a filter table, in chain and rule order. */
export function readFilterVerdicts(filter: TableIndex): FilterVerdict[] {
  const verdicts: FilterVerdict[] = [];
  for (const { name: chain } of filter.order) {
    for (const facts of chainFacts(filter, chain)) {
      const action = facts.rule.target;
      if (action !== "REJECT" && action !== "DROP") continue;
      if (facts.commentKind !== "no-endpoints" && facts.commentKind !== "no-local-endpoints") continue;
      verdicts.push({
        servicePortName: facts.servicePortName!,
        protocol: asProtocol(facts.protocol) ?? "tcp",
        chain,
        verdict: { action, reason: REASONS[facts.commentKind], destination: verdictDestination(facts) },
        facts,
      });
    }
  }
  return verdicts;
}

/** True when a chain ends the old way for want of local endpoints: `"SPN has no local endpoints" -j KUBE-MARK-DROP`. */
export function dropsForNoLocalEndpoints(rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.target === "KUBE-MARK-DROP" && readRuleFacts(rule).commentKind === "no-local-endpoints");
}
