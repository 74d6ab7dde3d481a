/**
 * The per-service-port part of kube-proxy's `syncProxyRules` (pkg/proxy/iptables/proxier.go, v1.28–v1.33): the
 * KUBE-SERVICES / KUBE-NODEPORTS entry rules, the filter-table rejects and drops, and the KUBE-EXT, KUBE-FW,
 * KUBE-SVC, KUBE-SVL and KUBE-SEP chains — in the order kube-proxy writes them, with its exact argument order and
 * quoting (kube-proxy writes multi-word comments with literal double quotes and single words bare).
 */
import { categorizeEndpoints } from "./categorize-endpoints";
import { cidrContains } from "./ip-address";
import { NFACCT_LOCALHOST_NODEPORTS, type ProxierSettings } from "./proxier-settings";
import { externallyAccessible, type ResolvedEndpoint, type ResolvedServicePort } from "./service-ports";

/** kube-proxy's four line buffers plus the set of nat chains this sync keeps. */
export interface RuleBuffers {
  filterChains: string[];
  filterRules: string[];
  natChains: string[];
  natRules: string[];
  activeNatChains: Set<string>;
}

/** Where the service-level nat chains go: the real buffers, or a discard buffer on a partial sync. */
interface NatSink {
  chains: string[];
  rules: string[];
}

export function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}

/** `1/n` with 10 decimals, as kube-proxy's computeProbability (`%0.10f`). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

const quoted = (text: string) => `"${text}"`;

/**
 * Appends the rules of one service port. `writeServiceChains` false reproduces a partial sync for a service that did
 * not change: its entry rules and filter rules are still written, its own chains are not (but stay active).
 */
export function writeServicePortRules(
  sp: ResolvedServicePort,
  settings: ProxierSettings,
  out: RuleBuffers,
  writeServiceChains: boolean,
): void {
  const { protocol, name } = sp;
  const proto = `-m ${protocol} -p ${protocol}`;
  const { cluster, local, allReachable, hasAnyEndpoints } = categorizeEndpoints(sp);

  const usesClusterPolicyChain = cluster.length > 0;
  const usesLocalPolicyChain = local.length > 0;
  const internalPolicyChain = sp.internalPolicyLocal ? sp.chains.svl : sp.chains.svc;
  const hasInternalEndpoints = hasAnyEndpoints && !(sp.internalPolicyLocal && local.length === 0);
  const externalPolicyChain = sp.externalPolicyLocal ? sp.chains.svl : sp.chains.svc;
  const hasExternalEndpoints = hasAnyEndpoints && !(sp.externalPolicyLocal && local.length === 0);
  // The EXT chain exists whenever there are endpoints anywhere: its short-circuit rules for pod and host traffic
  // are needed even when no endpoint is local.
  const usesExternalTrafficChain = hasAnyEndpoints && externallyAccessible(sp);
  const usesFWChain = hasAnyEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const loadBalancerTrafficChain = usesFWChain ? sp.chains.fw : sp.chains.ext;

  const internalFilter = !hasAnyEndpoints
    ? { target: "REJECT", comment: quoted(`${name} has no endpoints`) }
    : !hasInternalEndpoints
      ? { target: "DROP", comment: quoted(`${name} has no local endpoints`) }
      : null;
  const externalFilter = !hasAnyEndpoints
    ? { target: "REJECT", comment: quoted(`${name} has no endpoints`) }
    : !hasExternalEndpoints
      ? { target: "DROP", comment: quoted(`${name} has no local endpoints`) }
      : null;

  // Cluster IP.
  if (hasInternalEndpoints) {
    out.natRules.push(
      `-A KUBE-SERVICES -m comment --comment ${quoted(`${name} cluster IP`)} ${proto} -d ${sp.clusterIP} --dport ${sp.port} -j ${internalPolicyChain}`,
    );
  } else if (internalFilter) {
    out.filterRules.push(
      `-A KUBE-SERVICES -m comment --comment ${internalFilter.comment} ${proto} -d ${sp.clusterIP} --dport ${sp.port} -j ${internalFilter.target}`,
    );
  }

  // External IPs.
  for (const ip of sp.externalIPs) {
    if (hasAnyEndpoints) {
      out.natRules.push(
        `-A KUBE-SERVICES -m comment --comment ${quoted(`${name} external IP`)} ${proto} -d ${ip} --dport ${sp.port} -j ${sp.chains.ext}`,
      );
    }
    if (externalFilter) {
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilter.comment} ${proto} -d ${ip} --dport ${sp.port} -j ${externalFilter.target}`,
      );
    }
  }

  // LoadBalancer ingress IPs.
  for (const ip of sp.loadBalancerVIPs) {
    if (hasAnyEndpoints) {
      out.natRules.push(
        `-A KUBE-SERVICES -m comment --comment ${quoted(`${name} loadbalancer IP`)} ${proto} -d ${ip} --dport ${sp.port} -j ${loadBalancerTrafficChain}`,
      );
    }
    if (usesFWChain) {
      out.filterRules.push(
        `-A KUBE-PROXY-FIREWALL -m comment --comment ${quoted(`${name} traffic not accepted by ${sp.chains.fw}`)} ${proto} -d ${ip} --dport ${sp.port} -j DROP`,
      );
    }
  }
  if (externalFilter) {
    for (const ip of sp.loadBalancerVIPs) {
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilter.comment} ${proto} -d ${ip} --dport ${sp.port} -j ${externalFilter.target}`,
      );
    }
  }

  // Node ports. (They are not subject to loadBalancerSourceRanges, and kube-proxy cannot change that.)
  if (sp.nodePort !== 0) {
    if (hasAnyEndpoints) {
      if (
        settings.localhostNodePorts &&
        settings.family === "ipv4" &&
        settings.nfacctCounters.has(NFACCT_LOCALHOST_NODEPORTS)
      ) {
        out.natRules.push(
          `-A KUBE-NODEPORTS -m comment --comment ${name} ${proto} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name ${NFACCT_LOCALHOST_NODEPORTS} -j ${sp.chains.ext}`,
        );
      }
      out.natRules.push(`-A KUBE-NODEPORTS -m comment --comment ${name} ${proto} --dport ${sp.nodePort} -j ${sp.chains.ext}`);
    }
    if (externalFilter) {
      out.filterRules.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilter.comment} -m addrtype --dst-type LOCAL ${proto} --dport ${sp.nodePort} -j ${externalFilter.target}`,
      );
    }
  }

  // Health-check node port: accepted whether or not this node has local endpoints.
  if (sp.healthCheckNodePort !== 0) {
    out.filterRules.push(
      `-A KUBE-NODEPORTS -m comment --comment ${quoted(`${name} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
    );
  }

  const sink: NatSink = writeServiceChains ? { chains: out.natChains, rules: out.natRules } : { chains: [], rules: [] };
  const activate = (chain: string) => {
    sink.chains.push(chainLine(chain));
    out.activeNatChains.add(chain);
  };

  // Masquerade off-cluster traffic to the cluster IP (it may be routed here from outside and bounce off-node).
  if (hasInternalEndpoints) {
    const match = `-m comment --comment ${quoted(`${name} cluster IP`)} ${proto} -d ${sp.clusterIP} --dport ${sp.port}`;
    if (settings.masqueradeAll) {
      sink.rules.push(`-A ${internalPolicyChain} ${match} -j KUBE-MARK-MASQ`);
    } else if (settings.podCIDR !== null) {
      sink.rules.push(`-A ${internalPolicyChain} ${match} ! -s ${settings.podCIDR} -j KUBE-MARK-MASQ`);
    }
  }

  if (usesExternalTrafficChain) {
    const ext = sp.chains.ext;
    activate(ext);
    if (!sp.externalPolicyLocal) {
      sink.rules.push(`-A ${ext} -m comment --comment ${quoted(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`);
    } else {
      // Pod traffic to an external destination skips the traffic policy, as if it went out to the LB and back.
      if (settings.podCIDR !== null) {
        sink.rules.push(
          `-A ${ext} -m comment --comment ${quoted(`pod traffic for ${name} external destinations`)} -s ${settings.podCIDR} -j ${sp.chains.svc}`,
        );
      }
      // Host traffic needs masquerade: the LB IP is a local address and would be picked as the source.
      sink.rules.push(
        `-A ${ext} -m comment --comment ${quoted(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      );
      sink.rules.push(
        `-A ${ext} -m comment --comment ${quoted(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${sp.chains.svc}`,
      );
    }
    if (hasExternalEndpoints) sink.rules.push(`-A ${ext} -j ${externalPolicyChain}`);
  }

  if (usesFWChain) {
    const fw = sp.chains.fw;
    activate(fw);
    const head = `-A ${fw} -m comment --comment ${quoted(`${name} loadbalancer IP`)}`;
    let allowFromNode = false;
    for (const cidr of sp.loadBalancerSourceRanges) {
      sink.rules.push(`${head} -s ${cidr} -j ${sp.chains.ext}`);
      if (settings.nodeIP !== null && cidrContains(cidr, settings.nodeIP)) allowFromNode = true;
    }
    // A VIP-like LB IP is often local to the node: its own requests loop back with the VIP as source.
    if (allowFromNode) {
      for (const ip of sp.loadBalancerVIPs) sink.rules.push(`${head} -s ${ip} -j ${sp.chains.ext}`);
    }
    // Whatever falls off the end was not DNATed and is dropped by KUBE-PROXY-FIREWALL in the filter table.
    sink.rules.push(`-A ${fw} -m comment --comment ${quoted(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  }

  if (usesClusterPolicyChain) {
    activate(sp.chains.svc);
    writeBalancingRules(sink.rules, sp, sp.chains.svc, cluster, settings);
  }
  if (usesLocalPolicyChain) {
    activate(sp.chains.svl);
    writeBalancingRules(sink.rules, sp, sp.chains.svl, local, settings);
  }

  for (const ep of allReachable) {
    activate(ep.sepChain);
    const head = `-A ${ep.sepChain}${comment(name, settings)}`;
    // Hairpin: a pod reaching itself through the service must be SNATed or its reply bypasses the DNAT.
    sink.rules.push(`${head} -s ${ep.ip} -j KUBE-MARK-MASQ`);
    const recent = sp.affinitySeconds !== null ? ` -m recent --name ${ep.sepChain} --set` : "";
    sink.rules.push(`${head}${recent} ${proto} -j DNAT --to-destination ${ep.endpoint}`);
  }
}

/** ` -m comment --comment X`, or nothing in large cluster mode (saves 40%+ of the rules' size upstream). */
function comment(text: string, settings: ProxierSettings): string {
  return settings.largeClusterMode ? "" : ` -m comment --comment ${text}`;
}

/** writeServiceToEndpointRules: affinity checks first, then the probability ladder 1/n, 1/(n-1), …, catch-all. */
function writeBalancingRules(
  rules: string[],
  sp: ResolvedServicePort,
  chain: string,
  endpoints: ResolvedEndpoint[],
  settings: ProxierSettings,
): void {
  if (sp.affinitySeconds !== null) {
    for (const ep of endpoints) {
      rules.push(
        `-A ${chain}${comment(quoted(`${sp.name} -> ${ep.endpoint}`), settings)} -m recent --name ${ep.sepChain} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${ep.sepChain}`,
      );
    }
  }
  endpoints.forEach((ep, i) => {
    const statistic =
      i < endpoints.length - 1 ? ` -m statistic --mode random --probability ${probability(endpoints.length - i)}` : "";
    rules.push(`-A ${chain}${comment(quoted(`${sp.name} -> ${ep.endpoint}`), settings)}${statistic} -j ${ep.sepChain}`);
  });
}
