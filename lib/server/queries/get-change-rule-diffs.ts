/**
 * The rules behind a service change: for a snapshot in which a node's rules changed, the chain text of one service
 * port before and after — its own chains (KUBE-SVC/SVL/EXT/FW/SEP) in full diff, and the rules of the shared entry
 * chains (KUBE-SERVICES, KUBE-NODEPORTS, …) that name the port. The timeline shows this beside each change, so "the
 * endpoint was replaced" comes with the KUBE-SEP chain that went and the one that came.
 *
 * "Before" is the node's previous snapshot of the same family; diffSnapshots does the chain diff (reading only the
 * bodies of chains whose digest differs).
 */
import type { LineEdit } from "../../diff/diff-lines";
import type { ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { diffSnapshots } from "./diff-snapshots";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { readChainBodies, ruleLines } from "./read-chain-bodies";
import { readRulesetModel } from "./read-ruleset-model";
import { snapshotColumns } from "./snapshot-at";

/** One chain's rules as they changed. */
export interface ChainRuleDiff {
  table: string;
  chain: string;
  /** `added`/`removed`: the whole chain came or went; `changed`: some of its rules did. */
  change: "added" | "removed" | "changed";
  /** Rule lines in order; `keep` lines are context around the edits. */
  lines: Pick<LineEdit, "op" | "text">[];
}

/** The port's rule changes in one snapshot of one node. */
export interface ServicePortRuleDiff {
  snapshotId: number;
  /** The node's snapshot before it; null when this was the node's first (nothing to compare with). */
  previousSnapshotId: number | null;
  chains: ChainRuleDiff[];
}

/** Unchanged rules kept around each edit of a changed chain. */
const CONTEXT = 2;

/**
 * The rule diffs of `servicePort` for each of `snapshotIds` of `clusterName` (ids of other clusters are skipped),
 * keyed by snapshot id, or NotFound for an unknown cluster.
 */
export async function getChangeRuleDiffs(
  db: Db,
  clusterName: string,
  servicePort: string,
  snapshotIds: readonly number[],
): Promise<Map<number, ServicePortRuleDiff> | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const result = new Map<number, ServicePortRuleDiff>();
  for (const snapshotId of new Set(snapshotIds)) {
    const snapshot = await db.snapshot.findFirst({ where: { id: snapshotId, node: { clusterId: cluster.id } }, select: snapshotColumns });
    if (!snapshot) continue;
    const previous = await db.snapshot.findFirst({
      where: { nodeId: snapshot.nodeId, family: snapshot.family, firstSeen: { lt: snapshot.firstSeen } },
      orderBy: [{ firstSeen: "desc" }, { id: "desc" }],
      select: snapshotColumns,
    });
    if (!previous) {
      result.set(snapshotId, { snapshotId, previousSnapshotId: null, chains: [] });
      continue;
    }
    const family = snapshot.family === "ipv6" ? "ipv6" : "ipv4";
    const diff = await diffSnapshots(db, cluster.name, { snapshotId: previous.id }, { snapshotId }, { family, context: CONTEXT });
    if ("notFound" in diff) continue;
    const [before, after] = await Promise.all([readRulesetModel(db, previous.rulesetDigest), readRulesetModel(db, snapshot.rulesetDigest)]);
    const own = new Set([...portChains(before?.servicePorts, servicePort), ...portChains(after?.servicePorts, servicePort)]);
    const mentions = mentionOf(servicePort);

    const whole = [
      ...diff.chains.added.filter((c) => own.has(c.chain)).map((c) => ({ ...c, change: "added" as const })),
      ...diff.chains.removed.filter((c) => own.has(c.chain)).map((c) => ({ ...c, change: "removed" as const })),
    ];
    const bodies = await readChainBodies(db, whole.map((c) => c.digest));
    const chains: ChainRuleDiff[] = whole.map((c) => ({
      table: c.table,
      chain: c.chain,
      change: c.change,
      lines: ruleLines(bodies.get(c.digest)?.text ?? "").map((text) => ({ op: c.change === "added" ? "add" : "remove", text })),
    }));
    for (const changed of diff.chains.changed) {
      // A shared chain (KUBE-SERVICES holds every service) is cut down to the rules naming this port.
      const lines = own.has(changed.chain)
        ? changed.edits.map(({ op, text }) => ({ op, text }))
        : changed.edits.filter((e) => e.op !== "keep" && mentions.test(e.text)).map(({ op, text }) => ({ op, text }));
      if (lines.some((l) => l.op !== "keep")) chains.push({ table: changed.table, chain: changed.chain, change: "changed", lines });
    }
    chains.sort((a, b) => chainRank(a.chain) - chainRank(b.chain) || (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
    result.set(snapshotId, { snapshotId, previousSnapshotId: previous.id, chains });
  }
  return result;
}

/** The chains kube-proxy writes for the port: its service chains and its endpoints' KUBE-SEP chains. */
function portChains(ports: readonly ServicePortModel[] | undefined, name: string): string[] {
  const chains: string[] = [];
  for (const port of ports ?? []) {
    if (port.name !== name) continue;
    for (const chain of [port.svcChain, port.svlChain, port.extChain, port.fwChain]) if (chain) chains.push(chain);
    for (const endpoint of port.endpoints) chains.push(endpoint.sepChain);
  }
  return chains;
}

/**
 * A rule names the port in its comment: `--comment "ns/name:port cluster IP"`, `--comment ns/name:port`. The name
 * must end there, so `ns/svc:http` does not match `ns/svc:https`.
 */
function mentionOf(servicePort: string): RegExp {
  const escaped = servicePort.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[\\s"])${escaped}(?=[\\s"]|$)`);
}

/** The order a packet meets the chains in: entry chains, then the service's, then its endpoints'. */
function chainRank(chain: string): number {
  if (chain === "KUBE-SERVICES" || chain === "KUBE-NODEPORTS") return 0;
  if (/^KUBE-(FW|EXT|XLB)-/.test(chain)) return 1;
  if (/^KUBE-(SVC|SVL)-/.test(chain)) return 2;
  if (chain.startsWith("KUBE-SEP-")) return 3;
  return 4;
}
