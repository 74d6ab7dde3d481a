/**
 * Renders the `iptables-restore` input kube-proxy's iptables mode writes on a sync (`syncProxyRules`), for the lab
 * (real rules in network namespaces) and the benchmark (large dumps).
 *
 * Output order is kube-proxy's: `*filter` (chain lines, then rules), `*nat` (chain lines, then rules), with the
 * KUBE-SERVICES node-port jump last. Two things kube-proxy leaves to Go map order — the order of services and of
 * stale-chain deletions — are sorted here so the output is deterministic.
 */
import { chainLine, writeServicePortRules, type RuleBuffers } from "./write-service-rules";
import { nodePortIPAllowed, NFACCT_CT_STATE_INVALID, proxierSettings, type ProxierSettings } from "./proxier-settings";
import { compareStrings, resolveServicePorts, type ResolvedServicePort } from "./service-ports";
import type { NodeConfig, ServiceSpec } from "./types";

export type IptablesTableName = "filter" | "nat";

export interface RenderOptions {
  /** Tables to emit, in kube-proxy's order; default both. */
  tables?: IptablesTableName[];
  /**
   * Also declare the built-in chains and add the jumps into kube-proxy's chains (PREROUTING/OUTPUT → KUBE-SERVICES,
   * POSTROUTING → KUBE-POSTROUTING, the filter hooks), which kube-proxy installs with `iptables -I` rather than in
   * the restore input. With them the text is a node's whole kube-proxy ruleset: restored without `--noflush` into an
   * empty namespace, traffic really goes through the service chains.
   */
  includeJumpRules?: boolean;
}

/** Chain prefixes kube-proxy owns and deletes when stale (isServiceChainName). */
const SERVICE_CHAIN_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-SEP-", "KUBE-FW-", "KUBE-EXT-"];

interface SyncPlan {
  ports: ResolvedServicePort[];
  settings: ProxierSettings;
  /** Service keys (`ns/name`) whose SVC/SVL/EXT/FW/SEP chains are written; null writes all (full sync). */
  changedServices: Set<string> | null;
  /** Chains currently in the kernel; those no longer active are flushed and deleted (`-X`). */
  existingNatChains: Set<string>;
}

function totalEndpoints(ports: ResolvedServicePort[]): number {
  return ports.reduce((sum, sp) => sum + sp.endpoints.length, 0);
}

function planFor(services: ServiceSpec[], node: NodeConfig): { ports: ResolvedServicePort[]; settings: ProxierSettings } {
  const ports = resolveServicePorts(services, node);
  return { ports, settings: proxierSettings(node, totalEndpoints(ports)) };
}

function buildBuffers(plan: SyncPlan): RuleBuffers {
  const { settings } = plan;
  const out: RuleBuffers = { filterChains: [], filterRules: [], natChains: [], natRules: [], activeNatChains: new Set() };
  for (const chain of ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"]) {
    out.filterChains.push(chainLine(chain));
  }
  for (const chain of ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"]) {
    out.natChains.push(chainLine(chain));
  }
  const mark = settings.masqueradeMark;
  out.natRules.push(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
  out.natRules.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  out.natRules.push(
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${settings.masqueradeRandomFully ? " --random-fully" : ""}`,
  );
  out.natRules.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);

  if (settings.family === "ipv4" && settings.localhostNodePorts) {
    // route_localnet (needed for localhost node ports) opens a hole (issue 90259); kubelet keeps an identical rule.
    out.filterChains.push(chainLine("KUBE-FIREWALL"));
    out.filterRules.push(
      `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }

  for (const sp of plan.ports) {
    writeServicePortRules(sp, settings, out, plan.changedServices === null || plan.changedServices.has(sp.serviceKey));
  }

  // Stale chains: a chain line flushes the chain, then -X deletes it. Written before the node-port jump, as upstream.
  const stale = [...plan.existingNatChains]
    .filter((c) => !out.activeNatChains.has(c) && SERVICE_CHAIN_PREFIXES.some((p) => c.startsWith(p)))
    .sort(compareStrings);
  for (const chain of stale) {
    out.natChains.push(chainLine(chain));
    out.natRules.push(`-X ${chain}`);
  }

  writeNodePortJumps(out, settings);

  if (!settings.conntrackTCPLiberal) {
    // INVALID packets would otherwise reset connections (kubernetes issues 74839, 117924).
    const nfacct = settings.nfacctCounters.has(NFACCT_CT_STATE_INVALID) ? ` -m nfacct --nfacct-name ${NFACCT_CT_STATE_INVALID}` : "";
    out.filterRules.push(`-A KUBE-FORWARD -m conntrack --ctstate INVALID${nfacct} -j DROP`);
  }
  // Forward marked traffic even when the FORWARD policy is DROP, and the rest of those connections after it.
  out.filterRules.push(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  out.filterRules.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  return out;
}

const NODEPORTS_COMMENT = `"kubernetes service nodeports; NOTE: this must be the last rule in this chain"`;

/** The tail call into KUBE-NODEPORTS: must follow every service portal rule of KUBE-SERVICES. */
function writeNodePortJumps(out: RuleBuffers, settings: ProxierSettings): void {
  if (settings.nodePortsMatchAll) {
    let destinations = "-m addrtype --dst-type LOCAL";
    // Localhost node ports never work on IPv6, and on IPv4 only with route_localnet.
    if (settings.family === "ipv6") destinations += " ! -d ::1/128";
    else if (!settings.localhostNodePorts) destinations += " ! -d 127.0.0.0/8";
    out.natRules.push(`-A KUBE-SERVICES -m comment --comment ${NODEPORTS_COMMENT} ${destinations} -j KUBE-NODEPORTS`);
    return;
  }
  for (const ip of settings.nodePortIPs) {
    if (!nodePortIPAllowed(ip, settings)) continue;
    out.natRules.push(`-A KUBE-SERVICES -m comment --comment ${NODEPORTS_COMMENT} -d ${ip} -j KUBE-NODEPORTS`);
  }
}

/** kube-proxy's iptablesJumpChains (and kubelet's KUBE-FIREWALL jumps), as `-A` rules, by table. */
const JUMP_RULES: Record<IptablesTableName, { builtins: string[]; rules: [chain: string, target: string, rule: string][] }> = {
  filter: {
    builtins: ["INPUT", "FORWARD", "OUTPUT"],
    // Each jump is inserted at the top of its hook in kube-proxy's list order, so the hook lists them reversed.
    rules: [
      ["INPUT", "KUBE-FIREWALL", "-j KUBE-FIREWALL"],
      ["INPUT", "KUBE-PROXY-FIREWALL", '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
      ["INPUT", "KUBE-NODEPORTS", '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'],
      ["INPUT", "KUBE-EXTERNAL-SERVICES", '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'],
      ["FORWARD", "KUBE-PROXY-FIREWALL", '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
      ["FORWARD", "KUBE-FORWARD", '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'],
      ["FORWARD", "KUBE-SERVICES", '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
      ["FORWARD", "KUBE-EXTERNAL-SERVICES", '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'],
      ["OUTPUT", "KUBE-FIREWALL", "-j KUBE-FIREWALL"],
      ["OUTPUT", "KUBE-PROXY-FIREWALL", '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
      ["OUTPUT", "KUBE-SERVICES", '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
    ],
  },
  nat: {
    builtins: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    rules: [
      ["PREROUTING", "KUBE-SERVICES", '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
      ["OUTPUT", "KUBE-SERVICES", '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
      ["POSTROUTING", "KUBE-POSTROUTING", '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'],
    ],
  },
};

/** One `*table … COMMIT` block. Joined piecewise: a 10k-service table has far too many lines to spread. */
function tableText(table: IptablesTableName, chains: string[], rules: string[], options: RenderOptions): string {
  const pieces = [`*${table}`];
  let jumpRules: string[] = [];
  if (options.includeJumpRules) {
    const jumps = JUMP_RULES[table];
    const declared = new Set(chains.map((line) => line.slice(1).split(" ")[0]));
    pieces.push(jumps.builtins.map((c) => `:${c} ACCEPT [0:0]`).join("\n"));
    jumpRules = jumps.rules.filter(([, target]) => declared.has(target)).map(([chain, , rule]) => `-A ${chain} ${rule}`);
  }
  for (const block of [chains, jumpRules, rules]) if (block.length > 0) pieces.push(block.join("\n"));
  pieces.push("COMMIT\n");
  return pieces.join("\n");
}

function serialize(out: RuleBuffers, options: RenderOptions): string {
  const tables = options.tables ?? ["filter", "nat"];
  let text = "";
  if (tables.includes("filter")) text += tableText("filter", out.filterChains, out.filterRules, options);
  if (tables.includes("nat")) text += tableText("nat", out.natChains, out.natRules, options);
  return text;
}

/**
 * Full-sync restore input for `services` on `node`: what kube-proxy hands `iptables-restore --noflush` at startup or
 * on a periodic full resync. Despite the name it holds the filter table as well unless `tables: ["nat"]` is given.
 */
export function renderNatRules(services: ServiceSpec[], node: NodeConfig, options: RenderOptions = {}): string {
  const plan = planFor(services, node);
  return serialize(buildBuffers({ ...plan, changedServices: null, existingNatChains: new Set() }), options);
}

/** Nat chains kube-proxy keeps active for `services` (what `iptables-save` shows of its own chains after a sync). */
export function activeNatChains(services: ServiceSpec[], node: NodeConfig): Set<string> {
  const plan = planFor(services, node);
  return buildBuffers({ ...plan, changedServices: null, existingNatChains: new Set() }).activeNatChains;
}

export interface PartialSyncOptions extends RenderOptions {
  /** Write every service's chains (a full resync, e.g. after a failed restore), still deleting stale chains. */
  full?: boolean;
}

/** A Service's inputs as kube-proxy's change trackers compare them. */
function serviceFingerprint(service: ServiceSpec): string {
  return JSON.stringify(service);
}

/**
 * Restore input of the sync that takes a node from `prev` to `next` (kube-proxy ≥1.26 partial sync): the filter
 * table and the top-level nat chains in full, the SVC/SVL/EXT/FW/SEP chains only of Services whose spec or
 * endpoints changed, and every chain of `prev` that is no longer needed flushed and deleted with `-X`.
 */
export function renderPartialSync(
  prev: ServiceSpec[],
  next: ServiceSpec[],
  node: NodeConfig,
  options: PartialSyncOptions = {},
): string {
  const before = new Map(prev.map((s) => [`${s.namespace}/${s.name}`, serviceFingerprint(s)]));
  const changed = new Set<string>();
  for (const service of next) {
    const key = `${service.namespace}/${service.name}`;
    if (before.get(key) !== serviceFingerprint(service)) changed.add(key);
  }
  const plan = planFor(next, node);
  const buffers = buildBuffers({
    ...plan,
    changedServices: options.full ? null : changed,
    existingNatChains: activeNatChains(prev, node),
  });
  return serialize(buffers, options);
}
