/**
 * Does each node agree with the others? A node agrees when, on every service port any node programs, its model is
 * in the majority (service-port-agreement.ts: counters, node-local endpoints and endpoint order left out). The
 * overview shows it per node and offers a one-click compare with a node on the other side.
 *
 * Reads each distinct current ruleset's model once (cached by digest), never rules: nodes that share a ruleset share
 * the work, which is the common case of a converged cluster.
 */
import type { ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { readRulesetModel } from "./read-ruleset-model";
import { majorityOf, servicePortFingerprint } from "./service-port-agreement";
import { snapshotsAt, type AddressFamily } from "./snapshot-at";

/** One node's standing. */
export interface NodeAgreement {
  node: string;
  /** The node's snapshot of the family (as of `at`); null when it reported none. */
  snapshotId: number | null;
  /** In the majority on every service port. False for a node without a snapshot of the family. */
  agrees: boolean;
  /** Service ports (`namespace/name:port`) on which the node is outside the majority, by name. */
  disagreeingPorts: string[];
  /**
   * The node to compare this one with: for a disagreeing node, a node that agrees everywhere; for an agreeing node,
   * the first disagreeing node, else the next agreeing one. Null in a one-node cluster.
   */
  comparePeer: string | null;
}

export interface ClusterAgreement {
  cluster: string;
  family: AddressFamily;
  nodes: NodeAgreement[];
}

export interface NodeAgreementOptions {
  family?: AddressFamily;
  /** The nodes' rules as of this time (default: now). */
  at?: Date;
}

/** Agreement of every node of `clusterName` (by name), or NotFound. */
export async function getNodeAgreement(db: Db, clusterName: string, options: NodeAgreementOptions = {}): Promise<ClusterAgreement | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const family = options.family ?? "ipv4";
  const nodes = await db.node.findMany({ where: { clusterId: cluster.id }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  const snapshots = await snapshotsAt(db, nodes.map((n) => n.id), family, options.at);
  const digests = [...new Set([...snapshots.values()].map((s) => s.rulesetDigest))];
  const models = new Map(await Promise.all(digests.map(async (d) => [d, await readRulesetModel(db, d)] as const)));

  // Fingerprints per distinct ruleset, then per port across the reporting nodes.
  const portsByDigest = new Map<string, Map<string, ServicePortModel>>();
  for (const [digest, model] of models) {
    portsByDigest.set(digest, new Map((model?.servicePorts ?? []).map((p) => [`${p.name} ${p.protocol}`, p])));
  }
  const reporting = nodes.filter((n) => snapshots.has(n.id));
  const portKeys = new Set([...portsByDigest.values()].flatMap((ports) => [...ports.keys()]));
  const outside = new Map<string, Set<string>>(reporting.map((n) => [n.name, new Set()]));
  const fingerprintCache = new Map<string, string>();
  for (const key of portKeys) {
    const fingerprints = reporting.map((n) => {
      const snapshot = snapshots.get(n.id)!;
      const cacheKey = `${snapshot.rulesetDigest} ${key}`;
      let fingerprint = fingerprintCache.get(cacheKey);
      if (fingerprint === undefined) {
        fingerprint = servicePortFingerprint(portsByDigest.get(snapshot.rulesetDigest)?.get(key) ?? null);
        fingerprintCache.set(cacheKey, fingerprint);
      }
      return { node: n.name, fingerprint, since: snapshot.firstSeen };
    });
    const { agreeing } = majorityOf(fingerprints);
    const portName = key.slice(0, key.lastIndexOf(" "));
    for (const n of reporting) if (!agreeing.has(n.name)) outside.get(n.name)!.add(portName);
  }

  const standing = nodes.map((n) => ({
    node: n.name,
    snapshotId: snapshots.get(n.id)?.id ?? null,
    agrees: snapshots.has(n.id) && outside.get(n.name)!.size === 0,
    disagreeingPorts: [...(outside.get(n.name) ?? [])].sort(),
  }));
  const agreeingNodes = standing.filter((s) => s.agrees).map((s) => s.node);
  const disagreeingNodes = standing.filter((s) => !s.agrees && s.snapshotId !== null).map((s) => s.node);
  return {
    cluster: cluster.name,
    family,
    nodes: standing.map((s) => ({ ...s, comparePeer: peerOf(s.node, s.agrees, agreeingNodes, disagreeingNodes) })),
  };
}

function peerOf(node: string, agrees: boolean, agreeing: readonly string[], disagreeing: readonly string[]): string | null {
  if (!agrees) return agreeing[0] ?? disagreeing.find((n) => n !== node) ?? null;
  if (disagreeing.length > 0) return disagreeing[0]!;
  // Everyone agrees: the next node round the list, so each row offers a different pair.
  if (agreeing.length < 2) return null;
  return agreeing[(agreeing.indexOf(node) + 1) % agreeing.length]!;
}
