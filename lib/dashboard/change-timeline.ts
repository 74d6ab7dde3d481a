/**
 * The service view's change timeline, built from the read API's changes (listChanges). kube-proxy applies one
 * EndpointSlice update on every node, so the same change shows up once per node, each a little later: the timeline
 * groups them into one entry per sync — the changes first seen at the same moment — with every node's delay.
 *
 * "First seen" is the change's time minus its delay (`delayMs`: how long after the first node this node showed the
 * same change), so a pod restart (endpoint removed + endpoint added) and a scale-up (several endpoints added) are one
 * entry each, and a node that never followed is named in it.
 */
import type { ChangeView } from "@/lib/server/queries/list-changes";

type Cause = NonNullable<ChangeView["cause"]>;

/** One node's part in a timeline entry. */
export interface TimelineNode {
  node: string;
  at: Date;
  /** After the first node that showed the entry's changes; 0 for the first. */
  delayMs: number;
  /** Where the node's rules changed (for the rule diff). */
  snapshotId: number;
  changes: ChangeView[];
}

/** Changes first seen together, on every node that showed them. */
export interface TimelineEntry {
  key: string;
  /** When the first node showed them. */
  firstAt: Date;
  /** The changes' summaries (one per distinct change, as the first node recorded it). */
  summaries: string[];
  kinds: string[];
  /** The Pod/EndpointSlice events the changes are linked to, oldest first. */
  causes: Cause[];
  /** Nodes in the order they followed. */
  nodes: TimelineNode[];
  /** Nodes of the cluster that did not show these changes (within the listed history). */
  missing: string[];
}

/** Timeline entries, newest first, from changes of one service port; `allNodes` names the cluster's nodes. */
export function groupChanges(changes: readonly ChangeView[], allNodes: readonly string[]): TimelineEntry[] {
  const entries = new Map<string, { firstAt: Date; byNode: Map<string, TimelineNode> }>();
  for (const change of changes) {
    const at = new Date(change.at);
    const firstAt = new Date(at.getTime() - change.delayMs);
    const key = `${change.servicePort} ${firstAt.toISOString()}`;
    let entry = entries.get(key);
    if (!entry) entries.set(key, (entry = { firstAt, byNode: new Map() }));
    let node = entry.byNode.get(change.node);
    if (!node) entry.byNode.set(change.node, (node = { node: change.node, at, delayMs: change.delayMs, snapshotId: change.snapshotId, changes: [] }));
    // Several snapshots of one node in one entry cannot happen for one sync; keep the earliest as the node's moment.
    if (at < node.at) Object.assign(node, { at, delayMs: change.delayMs, snapshotId: change.snapshotId });
    node.changes.push(change);
  }
  return [...entries.entries()]
    .map(([key, { firstAt, byNode }]): TimelineEntry => {
      const nodes = [...byNode.values()].sort((a, b) => a.delayMs - b.delayMs || (a.node < b.node ? -1 : 1));
      for (const node of nodes) node.changes.sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.id - b.id);
      const first = nodes[0] as TimelineNode;
      const summaries = unique(first.changes.map((c) => c.summary ?? c.kind));
      const causes = new Map<number, Cause>();
      for (const node of nodes) for (const c of node.changes) if (c.cause) causes.set(c.cause.eventId, c.cause);
      return {
        key,
        firstAt,
        summaries,
        kinds: unique(nodes.flatMap((n) => n.changes.map((c) => c.kind))),
        causes: [...causes.values()].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime()),
        nodes,
        missing: allNodes.filter((n) => !byNode.has(n)),
      };
    })
    .sort((a, b) => b.firstAt.getTime() - a.firstAt.getTime());
}

/** Removals before additions: a replaced endpoint reads "old removed, new added". */
function kindRank(kind: string): number {
  return kind.endsWith("-removed") ? 0 : kind.endsWith("-added") ? 1 : 2;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
