/**
 * The difference between any two snapshots of a cluster — node vs node, or a node against itself earlier. First
 * what it means for services (lib/diff's semantic diff of the two kube-proxy models, grouped by service port), then
 * the raw chain diff with rule edits.
 *
 * Built for 10k-service rulesets: models come from RulesetModel JSON (cached by digest), manifests are compared by
 * chain digest, and only the bodies of chains whose digest differs are read and line-diffed.
 */
import { diffRulesets } from "../../diff/diff-rulesets";
import { diffServiceModels } from "../../diff/diff-service-models";
import type { LineEdit } from "../../diff/diff-lines";
import type { ChainText, RulesetDiff, ServiceChange } from "../../diff/types";
import type { Db } from "../db";
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
  const [services, chains] = identical
    ? [[], { added: [], removed: [], changed: [], unchanged: (await readManifest(db, after.snapshot.rulesetDigest)).length }]
    : await Promise.all([serviceDiff(db, before, after), chainDiff(db, before, after, options.context ?? 3)]);
  return { cluster: cluster.name, from: side(before), to: side(after), identical, services, chains };
}

function side(resolved: ResolvedSnapshot): DiffSide {
  const s = resolved.snapshot;
  return { node: resolved.node, snapshotId: s.id, rulesetDigest: s.rulesetDigest, family: s.family, firstSeen: s.firstSeen, lastSeen: s.lastSeen };
}

async function serviceDiff(db: Db, before: ResolvedSnapshot, after: ResolvedSnapshot): Promise<ServicePortDiff[]> {
  const [a, b] = await Promise.all([readRulesetModel(db, before.snapshot.rulesetDigest), readRulesetModel(db, after.snapshot.rulesetDigest)]);
  if (!a || !b) return [];
  const grouped = new Map<string, ServicePortDiff>();
  // diffServiceModels sorts by service port, so groups come out in name order.
  for (const change of diffServiceModels(a, b)) {
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

/** Chain diff reading only the bodies of chains whose digest differs between the two manifests. */
async function chainDiff(db: Db, before: ResolvedSnapshot, after: ResolvedSnapshot, context: number): Promise<RulesetDiff> {
  const [left, right] = await Promise.all([readManifest(db, before.snapshot.rulesetDigest), readManifest(db, after.snapshot.rulesetDigest)]);
  const key = (row: ManifestRow) => `${row.table}\u0000${row.chain}`;
  const leftByKey = new Map<string, ManifestRow>();
  for (const row of left) leftByKey.set(key(row), row);
  const rightKeys = new Set<string>();
  const leftDiffering: ManifestRow[] = [];
  const rightDiffering: ManifestRow[] = [];
  let unchanged = 0;
  for (const row of right) {
    const k = key(row);
    rightKeys.add(k);
    const other = leftByKey.get(k);
    if (other && other.chainDigest === row.chainDigest) {
      unchanged++;
      continue;
    }
    rightDiffering.push(row);
    if (other) leftDiffering.push(other);
  }
  for (const row of left) if (!rightKeys.has(key(row))) leftDiffering.push(row);

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
    unchanged: diff.unchanged + unchanged,
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
