/**
 * The seed's kind cluster as the lab builds it (the study note's kind config): four nodes on one docker-like bridge
 * (172.18.0.0/16, the bridge itself 172.18.0.1 like docker's gateway), pod subnet 10.10.0.0/16 with a /24 per node,
 * service subnet 10.200.1.0/24.
 */
import { STUDY_NODES } from "../control-plane/study-cluster";

export const CLUSTER_NAME = "myk8s";
export const POD_SUBNET = "10.10.0.0/16";
export const SERVICE_SUBNET = "10.200.1.0/24";
export const BRIDGE_IP = "172.18.0.1";
export const BRIDGE_PREFIX = 16;

/** A node of the lab: its name, role, address on the bridge and pod /24. */
export interface LabNode {
  name: string;
  role: "control-plane" | "worker";
  ip: string;
  podCIDR: string;
  /** `10.10.N` — the first three octets of the pod /24. */
  podPrefix: string;
  /** The gateway address pods of this node route through (kindnet's ptp plugin: `.1` of the /24). */
  gateway: string;
}

export const LAB_NODES: readonly LabNode[] = STUDY_NODES.map((n) => {
  const podPrefix = n.podCIDR.split(".").slice(0, 3).join(".");
  return { name: n.name, role: n.name.endsWith("control-plane") ? "control-plane" : "worker", ip: n.ip, podCIDR: n.podCIDR, podPrefix, gateway: `${podPrefix}.1` };
});

export function labNode(name: string): LabNode {
  const node = LAB_NODES.find((n) => n.name === name);
  if (!node) throw new Error(`no lab node ${name}`);
  return node;
}
