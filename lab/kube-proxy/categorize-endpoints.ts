/**
 * kube-proxy's `CategorizeEndpoints` (pkg/proxy/topology.go) without topology hints: which endpoints the Cluster
 * policy chain (KUBE-SVC) and the Local policy chain (KUBE-SVL) balance over, and which get a KUBE-SEP chain.
 *
 * "Usable" means ready; when no endpoint is ready, serving-and-terminating endpoints are used instead
 * (independently for Cluster and Local), so connections keep working during a rollout.
 */
import {
  compareStrings,
  usesClusterEndpoints,
  usesLocalEndpoints,
  type ResolvedEndpoint,
  type ResolvedServicePort,
} from "./service-ports";

export interface CategorizedEndpoints {
  /** Endpoints of the KUBE-SVC chain (empty when the port never uses Cluster policy). */
  cluster: ResolvedEndpoint[];
  /** Endpoints of the KUBE-SVL chain (empty when the port never uses Local policy). */
  local: ResolvedEndpoint[];
  /** Union of both, sorted: the endpoints that get a KUBE-SEP chain on this node. */
  allReachable: ResolvedEndpoint[];
  /** True when the service has usable endpoints anywhere in the cluster, even if none are reachable here. */
  hasAnyEndpoints: boolean;
}

const isServingTerminating = (ep: ResolvedEndpoint) => ep.serving && ep.terminating;

export function categorizeEndpoints(sp: ResolvedServicePort): CategorizedEndpoints {
  const endpoints = sp.endpoints;
  let cluster: ResolvedEndpoint[] = [];
  let local: ResolvedEndpoint[] = [];
  let hasAnyEndpoints = false;
  let localUsesTerminating = false;

  if (usesClusterEndpoints(sp)) {
    cluster = endpoints.filter((ep) => ep.ready);
    if (cluster.length === 0) cluster = endpoints.filter(isServingTerminating);
    hasAnyEndpoints = cluster.length > 0;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local, allReachable: cluster, hasAnyEndpoints };

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.local) hasLocalReady = true;
    } else if (isServingTerminating(ep)) {
      hasAnyEndpoints = true;
      if (ep.local) hasLocalServingTerminating = true;
    }
  }
  if (hasLocalReady) {
    local = endpoints.filter((ep) => ep.local && ep.ready);
  } else if (hasLocalServingTerminating) {
    localUsesTerminating = true;
    local = endpoints.filter((ep) => ep.local && isServingTerminating(ep));
  }
  if (!usesClusterEndpoints(sp)) return { cluster, local, allReachable: local, hasAnyEndpoints };
  // Ready local endpoints are already among the cluster ones; terminating local ones are not.
  if (!localUsesTerminating) return { cluster, local, allReachable: cluster, hasAnyEndpoints };

  const union = new Map<string, ResolvedEndpoint>();
  for (const ep of [...cluster, ...local]) union.set(ep.endpoint, ep);
  // kube-proxy builds this union from a Go map (random order); sorting keeps the output deterministic.
  const allReachable = [...union.values()].sort((a, b) => compareStrings(a.endpoint, b.endpoint));
  return { cluster, local, allReachable, hasAnyEndpoints };
}
