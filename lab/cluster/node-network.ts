/**
 * The nodes' network, like kind with kindnet: every node a network namespace with `eth0` on a bridge, and the
 * bridge in a namespace of its own (standing for docker's host side), so nothing the lab builds is linked to the
 * machine's own network. Nodes reach each other's pod /24 through a route via the owning node's address, as
 * kindnet installs them.
 */
import { createNetns, runCommand } from "../netns/netns";
import { BRIDGE_IP, BRIDGE_PREFIX, LAB_NODES, POD_SUBNET, type LabNode } from "./topology";

/** Runs `ip -n NS args…`; throws with stderr on failure. `ip -n` enters the namespace itself, never the host's. */
export async function ipIn(ns: string, args: string[]): Promise<void> {
  const result = await runCommand("ip", ["-n", ns, ...args]);
  if (result.code !== 0) throw new Error(`ip -n ${ns} ${args.join(" ")} failed: ${result.stderr.trim()}`);
}

/** Sets sysctls inside `ns` (`/proc/sys/net` shows the values of the reader's network namespace). */
export async function sysctlIn(ns: string, settings: Record<string, string>): Promise<void> {
  const args = ["netns", "exec", ns, "sysctl", "-q", ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)];
  const result = await runCommand("ip", args);
  if (result.code !== 0) throw new Error(`sysctl in ${ns} failed: ${result.stderr.trim()}`);
}

/** Creates the bridge namespace with bridge `kind` (172.18.0.1/16). */
export async function createBridge(ns: string): Promise<void> {
  await createNetns(ns);
  await ipIn(ns, ["link", "add", "kind", "type", "bridge"]);
  await ipIn(ns, ["addr", "add", `${BRIDGE_IP}/${BRIDGE_PREFIX}`, "dev", "kind"]);
  await ipIn(ns, ["link", "set", "kind", "up"]);
}

/**
 * What kindnet's masq agent installs on every kind node (the seed's `iptables -t nat -S` shows it): traffic leaving
 * the pod network is masqueraded, pod-to-pod traffic is not.
 */
const KIND_MASQ_RULES = `*nat
:KIND-MASQ-AGENT - [0:0]
-A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment "kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" -j KIND-MASQ-AGENT
-A KIND-MASQ-AGENT -d ${POD_SUBNET} -m comment --comment "kind-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN
-A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE
COMMIT
`;

/** Creates node `node` as namespace `ns`, plugged into the bridge of `bridgeNs` as port `port`. */
export async function createNode(ns: string, node: LabNode, bridgeNs: string, port: string): Promise<void> {
  await createNetns(ns);
  // Made inside the node's namespace with its peer created directly in the bridge's: no link ever exists in the host's.
  await ipIn(ns, ["link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", bridgeNs]);
  await ipIn(bridgeNs, ["link", "set", port, "master", "kind", "up"]);
  await ipIn(ns, ["addr", "add", `${node.ip}/${BRIDGE_PREFIX}`, "dev", "eth0"]);
  await ipIn(ns, ["link", "set", "eth0", "up"]);
  await ipIn(ns, ["route", "add", "default", "via", BRIDGE_IP, "dev", "eth0"]);
  for (const other of LAB_NODES) {
    if (other.name !== node.name) await ipIn(ns, ["route", "add", other.podCIDR, "via", other.ip, "dev", "eth0"]);
  }
  await sysctlIn(ns, {
    "net.ipv4.ip_forward": "1",
    // kube-proxy sets route_localnet for node ports on 127.0.0.1 (--iptables-localhost-nodeports, the default).
    "net.ipv4.conf.all.route_localnet": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
  });
  const restore = await runCommand("ip", ["netns", "exec", ns, "iptables-restore", "--noflush"], { input: KIND_MASQ_RULES });
  if (restore.code !== 0) throw new Error(`kind masq rules in ${ns}: ${restore.stderr.trim()}`);
}
