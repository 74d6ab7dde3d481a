/**
 * What a kind node's nat table says about the seed's service port, read with natwatch's own parser and kube-proxy
 * model: its endpoints and whether the NodePort path exists. The kind scenario (seed-steps.ts) waits on this to
 * know when each node's kube-proxy has applied a step, as the lab knows it from its own kube-proxy.
 */
import { parseIptablesSave } from "../../lib/iptables/parse-iptables-save";
import { buildProxyModel } from "../../lib/kube-proxy/build-service-model";

/** The seed's service port, as kube-proxy names it in comments and chain hashes. */
export const SEED_SERVICE_PORT = "default/svc-clusterip:svc-webport";

/** The seed service port on one node. */
export interface SeedPortRules {
  /** Endpoint addresses (`ip:port`), sorted. */
  endpoints: string[];
  /** Destination of the NodePort path (`:30007`), null while the service is ClusterIP. */
  nodePort: string | null;
}

/** The seed port in `iptables-save -t nat` output, null when the node has no rules for it (yet). Throws on unreadable text. */
export function seedPortRules(natText: string): SeedPortRules | null {
  const parsed = parseIptablesSave(natText);
  if (!parsed.ok) throw new Error(`iptables-save line ${parsed.error.line}: ${parsed.error.reason}: ${parsed.error.text}`);
  const port = buildProxyModel(parsed.dump).servicePorts.find((p) => p.name === SEED_SERVICE_PORT);
  if (!port) return null;
  return {
    endpoints: port.endpoints.map((e) => e.address).sort(),
    nodePort: port.paths.find((p) => p.kind === "node-port" && !p.destination.startsWith("127."))?.destination ?? null,
  };
}
