/**
 * The difference between any two snapshots of a cluster — node vs node, or a node against itself earlier. First
 * what it means for services (lib/diff's semantic diff of the two kube-proxy models, grouped by service port), then
 * the raw chain diff with rule edits.
 *
 * Built for 10k-service rulesets: models come from RulesetModel JSON and manifests from one recursive query, both
 * cached by digest; manifests are merged by chain digest, only the bodies of chains whose digest differs are read
 * and line-diffed, and only the service ports owning such chains are compared (see touchedServiceChains).
 */
import { diffRulesets } from "../../diff/diff-rulesets";
import { diffServiceModels } from "../../diff/diff-service-models";
import type { LineEdit } from "../../diff/diff-lines";
import type { ChainText, RulesetDiff, ServiceChange } from "../../diff/types";
import type { ProxyModel, ServicePortModel } from "../../kube-proxy/types";
import type { Db } from "../db";
import { compareManifests, differingChains, type ManifestDelta } from "./compare-manifests";
import { findCluster } from "./find-cluster";
import type { NotFound } from "./not-found";
import { readChainBodies, ruleLines } from "./read-chain-bodies";
import { readManifest, type ManifestRow } from "./read-manifest";
import { readRulesetModel } from "./read-ruleset-model";
import { servicePortSegment } from "./service-port-segment";
import { resolveSnapshotRef, type ResolvedSnapshot, type SnapshotRef } from "./snapshot-ref";
import type { AddressFamily } from "./snapshot-at";

/** One side of the diff. */
export interface DiffSide {
  node: string;
  snapshotId: number;
  rulesetDigest: string;
  family: string;
  firstSeen: Date;
  lastSeen: Date;
}

/** The semantic changes of one service port. */
export interface ServicePortDiff {
  servicePort: string;
  segment: string;
  protocol: string;
  changes: ServiceChange[];
}

export interface SnapshotDiff {
  cluster: string;
  from: DiffSide;
  to: DiffSide;
  /** True when both sides hold the very same ruleset (same digest). */
  identical: boolean;
  services: ServicePortDiff[];
  /** Chains added, removed and changed; a changed chain's edits keep `context` unchanged rules around each change. */
  chains: RulesetDiff;
}

export interface DiffSnapshotsOptions {
  family?: AddressFamily;
  /** Unchanged rules kept around each edit of a changed chain (default 3); the rest are left out. */
  context?: number;
}

/** The diff `from` → `to` in `clusterName`, or NotFound naming the side that could not be resolved. */
export async function diffSnapshots(
  db: Db,
  clusterName: string,
  from: SnapshotRef,
  to: SnapshotRef,
  options: DiffSnapshotsOptions = {},
): Promise<SnapshotDiff | NotFound> {
  const cluster = await findCluster(db, clusterName);
  if ("notFound" in cluster) return cluster;
  const family = options.family ?? "ipv4";
  const before = await resolveSnapshotRef(db, cluster, from, family);
  if ("notFound" in before) return before;
  const after = await resolveSnapshotRef(db, cluster, to, family);
  if ("notFound" in after) return after;

  const identical = before.snapshot.rulesetDigest === after.snapshot.rulesetDigest;
  const [left, right] = await Promise.all([readManifest(db, before.snapshot.rulesetDigest), readManifest(db, after.snapshot.rulesetDigest)]);
  const delta = compareManifests(left, right);
  const [services, chains] = identical
    ? [[], { added: [], removed: [], changed: [], unchanged: delta.unchanged }]
    : await Promise.all([serviceDiff(db, before, after, delta), chainDiff(db, delta, options.context ?? 3)]);
  return { cluster: cluster.name, from: side(before), to: side(after), identical, services, chains };
}

function side(resolved: ResolvedSnapshot): DiffSide {
  const s = resolved.snapshot;
  return { node: resolved.node, snapshotId: s.id, rulesetDigest: s.rulesetDigest, family: s.family, firstSeen: s.firstSeen, lastSeen: s.lastSeen };
}

async function serviceDiff(db: Db, before: ResolvedSnapshot, after: ResolvedSnapshot, delta: ManifestDelta): Promise<ServicePortDiff[]> {
  const [a, b] = await Promise.all([readRulesetModel(db, before.snapshot.rulesetDigest), readRulesetModel(db, after.snapshot.rulesetDigest)]);
  if (!a || !b) return [];
  const touched = a.mode === "iptables" && b.mode === "iptables" ? touchedServiceChains(delta) : null;
  const grouped = new Map<string, ServicePortDiff>();
  // diffServiceModels sorts by service port, so groups come out in name order.
  for (const change of diffServiceModels(onlyTouched(a, touched), onlyTouched(b, touched))) {
    const key = `${change.servicePort}\u0000${change.protocol}`;
    let group = grouped.get(key);
    if (!group) {
      group = { servicePort: change.servicePort, segment: servicePortSegment(change.servicePort), protocol: change.protocol, changes: [] };
      grouped.set(key, group);
    }
    group.changes.push(change);
  }
  return [...grouped.values()];
}

/** Chains kube-proxy writes for one service port or endpoint (KUBE-SVC/SVL/EXT/FW/XLB/SEP-<hash>). */
const PER_SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-[A-Z2-7]{16}$/;

/**
 * The per-service chains that differ, when nothing else does; null when a shared chain differs (KUBE-SERVICES,
 * KUBE-NODEPORTS, the filter table's verdicts…). A service port's model is read from the shared chains and from its
 * own chains only, so while the shared ones are equal, only ports owning a differing chain can differ: a 1% change
 * of a 10k-service node compares a hundred ports instead of ten thousand.
 */
function touchedServiceChains(delta: ManifestDelta): Set<string> | null {
  const rows = [...delta.removed, ...delta.added, ...delta.changed.map(([row]) => row)];
  if (rows.some((row) => row.table !== "nat" || !PER_SERVICE_CHAIN.test(row.chain))) return null;
  return differingChains(delta);
}

function onlyTouched(model: ProxyModel, touched: Set<string> | null): ProxyModel {
  if (!touched) return model;
  const owns = (port: ServicePortModel) =>
    [port.svcChain, port.svlChain, port.extChain, port.fwChain].some((c) => c !== null && touched.has(c)) ||
    port.endpoints.some((e) => touched.has(e.sepChain));
  return { ...model, servicePorts: model.servicePorts.filter(owns) };
}

/** Chain diff reading only the bodies of chains whose digest differs between the two manifests. */
async function chainDiff(db: Db, delta: ManifestDelta, context: number): Promise<RulesetDiff> {
  const leftDiffering = [...delta.removed, ...delta.changed.map(([row]) => row)];
  const rightDiffering = [...delta.added, ...delta.changed.map(([, row]) => row)];
  const bodies = await readChainBodies(db, [...leftDiffering, ...rightDiffering].map((r) => r.chainDigest));
  const toText = (row: ManifestRow): ChainText => ({
    table: row.table,
    chain: row.chain,
    digest: row.chainDigest,
    rules: ruleLines(bodies.get(row.chainDigest)?.text ?? ""),
  });
  const diff = diffRulesets(leftDiffering.map(toText), rightDiffering.map(toText));
  return {
    ...diff,
    unchanged: diff.unchanged + delta.unchanged,
    changed: diff.changed.map((chain) => ({ ...chain, edits: withContext(chain.edits, context) })),
  };
}

/** The edits without unchanged rules farther than `context` from any added or removed one. */
export function withContext(edits: readonly LineEdit[], context: number): LineEdit[] {
  const near = new Array<boolean>(edits.length).fill(false);
  edits.forEach((edit, i) => {
    if (edit.op === "keep") return;
    for (let j = Math.max(0, i - context); j <= Math.min(edits.length - 1, i + context); j++) near[j] = true;
  });
  return edits.filter((edit, i) => edit.op !== "keep" || near[i]);
}
