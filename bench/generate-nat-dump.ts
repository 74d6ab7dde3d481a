/**
 * A large, realistic kube-proxy ruleset for the benchmarks, made by the lab's renderer from a deterministic
 * synthetic cluster: 10k services ≈ 50k endpoints gives the ≈230k-line nat table of DESIGN.md's budgets.
 *
 * The mix imitates a busy multi-tenant cluster: mostly ClusterIP, a quarter NodePort, a few LoadBalancers (some with
 * externalTrafficPolicy Local, some with source ranges), some ClientIP affinity, DNS-style TCP+UDP services, and a
 * few terminating endpoints. Endpoint counts vary 1–9 around the requested mean.
 */
import { renderNatRules, type IptablesTableName } from "../lab/kube-proxy/render-iptables";
import type { EndpointSpec, NodeConfig, ServiceSpec } from "../lab/kube-proxy/types";
import { seededRandom } from "../lib/random/seeded-random";

export interface DumpSpec {
  /** Number of Services. */
  services: number;
  /** Mean endpoints per service port; counts vary ±4 around it, never below 1. Default 5. */
  endpointsPerService?: number;
  /** PRNG seed: the same spec always gives the same dump. Default 1. */
  seed?: number;
}

export interface DumpOptions {
  /** Tables to render; default the nat table only (what natwatch captures). */
  tables?: IptablesTableName[];
  /** Include built-in chains and the jumps into kube-proxy's chains (a node's whole ruleset). Default true. */
  includeJumpRules?: boolean;
  /** Node overrides (defaults: a v1.32 worker with --random-fully, pod CIDR 10.128.0.0/14). */
  node?: Partial<NodeConfig>;
}

/** The node the dump is rendered for; endpoints on `node-0` are local to it. */
export const BENCH_NODE: NodeConfig = {
  nodeName: "node-0",
  nodeIPs: ["172.18.0.2"],
  podCIDR: "10.128.0.0/14",
  masqueradeRandomFully: true,
  kubeProxyVersion: "v1.32",
};

const NODES = 120;
const TEAMS = ["payments", "checkout", "search", "identity", "ledger", "catalog", "shipping", "analytics", "platform", "media"];
const ENVS = ["prod", "staging", "canary", "perf"];
const APPS = ["api", "web", "worker", "gateway", "grpc", "cache", "indexer", "auth", "events", "reports", "billing", "notifier"];


function pick<T>(items: readonly T[], r: number): T {
  return items[Math.floor(r * items.length)] as T;
}

/** 10.128.0.0/14 holds 262k pod addresses: endpoint k gets the k-th, skipping .0 and .255. */
function podIp(k: number): string {
  const host = Math.floor(k / 254) * 256 + (k % 254) + 1;
  return `10.${128 + (host >>> 16)}.${(host >>> 8) & 255}.${host & 255}`;
}

/** Service i gets the i-th address of 10.96.0.0/12 after the first 10 (kube-dns and friends live there). */
function clusterIp(i: number): string {
  const n = i + 10;
  return `10.${96 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

interface EndpointAllocator {
  next(): number;
}

function endpointsFor(count: number, port: number, alloc: EndpointAllocator, rand: () => number): EndpointSpec[] {
  return Array.from({ length: count }, () => {
    const k = alloc.next();
    const terminating = rand() < 0.01;
    return {
      ip: podIp(k),
      port,
      ready: !terminating,
      serving: true,
      terminating,
      nodeName: `node-${k % NODES}`,
    };
  });
}

/** The synthetic cluster's Services with their endpoints (deterministic for a given spec). */
export function generateServices(spec: DumpSpec): ServiceSpec[] {
  const rand = seededRandom(spec.seed ?? 1);
  const mean = spec.endpointsPerService ?? 5;
  let nextEndpoint = 0;
  const alloc: EndpointAllocator = { next: () => nextEndpoint++ };
  let nextNodePort = 30000;
  const services: ServiceSpec[] = [];
  for (let i = 0; i < spec.services; i++) {
    const namespace = `${pick(TEAMS, rand())}-${pick(ENVS, rand())}`;
    const name = `${pick(APPS, rand())}-${i.toString(36).padStart(4, "0")}`;
    const count = Math.max(1, mean - 4 + Math.floor(rand() * 9));
    const kind = rand();
    const targetPort = pick([8080, 8443, 9090, 3000, 5000], rand());
    const service: ServiceSpec = { namespace, name, type: "ClusterIP", clusterIP: clusterIp(i), ports: [] };
    if (kind < 0.03) {
      // DNS-style: the same endpoints on TCP and UDP (two service ports, each with its own chains).
      const endpoints = endpointsFor(count, 53, alloc, rand);
      service.ports.push({ name: "dns", protocol: "UDP", port: 53, targetPort: 53, endpoints });
      service.ports.push({ name: "dns-tcp", protocol: "TCP", port: 53, targetPort: 53, endpoints });
    } else {
      service.ports.push({ name: "http", protocol: "TCP", port: 80, targetPort, endpoints: endpointsFor(count, targetPort, alloc, rand) });
    }
    if (kind >= 0.03 && kind < 0.28) {
      service.type = "NodePort";
      for (const port of service.ports) port.nodePort = nextNodePort++;
    } else if (kind >= 0.28 && kind < 0.31) {
      service.type = "LoadBalancer";
      for (const port of service.ports) port.nodePort = nextNodePort++;
      service.loadBalancerIPs = [`198.${18 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}`]; // RFC 2544 benchmark range
      if (rand() < 0.5) {
        service.externalTrafficPolicy = "Local";
        service.healthCheckNodePort = nextNodePort++;
      }
      if (rand() < 0.3) service.loadBalancerSourceRanges = ["203.0.113.0/24", "192.0.2.0/25"];
    }
    if (rand() < 0.05) {
      service.sessionAffinity = "ClientIP";
      service.sessionAffinityTimeoutSeconds = 10800;
    }
    services.push(service);
  }
  return services;
}

/** Renders the synthetic cluster as kube-proxy's restore input (by default the nat table with its hook jumps). */
export function renderServicesDump(services: ServiceSpec[], options: DumpOptions = {}): string {
  return renderNatRules(services, { ...BENCH_NODE, ...options.node }, {
    tables: options.tables ?? ["nat"],
    includeJumpRules: options.includeJumpRules ?? true,
  });
}

/** The dump for `spec`: ≈25 MB and ≈230k lines for 10k services with 5 endpoints on average. */
export function generateKubeProxyDump(spec: DumpSpec, options: DumpOptions = {}): string {
  return renderServicesDump(generateServices(spec), options);
}

/**
 * A copy of `services` where `fraction` of them (at least one) changed the way rollouts change them: an endpoint
 * replaced by a new pod, one added (scale up), or one removed (scale down, never below one). Untouched services are
 * the same objects, so a partial sync treats only the mutated ones as changed.
 */
export function mutateServices(services: ServiceSpec[], fraction: number, seed = 7): ServiceSpec[] {
  const rand = seededRandom(seed);
  const total = Math.max(1, Math.round(services.length * fraction));
  const chosen = new Set<number>();
  while (chosen.size < Math.min(total, services.length)) chosen.add(Math.floor(rand() * services.length));
  // New pods get addresses after every existing one, as fresh pod IPs would be.
  let nextEndpoint = services.reduce((n, s) => n + s.ports.reduce((m, p) => m + p.endpoints.length, 0), 0) + 1_000;
  const alloc: EndpointAllocator = { next: () => nextEndpoint++ };
  return services.map((service, i) => {
    if (!chosen.has(i)) return service;
    const change = rand();
    const ports = service.ports.map((port) => {
      const endpoints = [...port.endpoints];
      if (change < 0.4 || endpoints.length === 1) {
        endpoints.splice(Math.floor(rand() * endpoints.length), 1, ...endpointsFor(1, port.endpoints[0]?.port ?? 8080, alloc, rand));
      } else if (change < 0.7) {
        endpoints.push(...endpointsFor(1, port.endpoints[0]?.port ?? 8080, alloc, rand));
      } else {
        endpoints.splice(Math.floor(rand() * endpoints.length), 1);
      }
      return { ...port, endpoints };
    });
    return { ...service, ports };
  });
}
