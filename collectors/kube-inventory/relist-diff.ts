/**
 * What changed between the objects the collector knew and a fresh list: the events a watch would have delivered had
 * it not been cut off.
 *
 * A relist happens after 410 Gone (the API server compacted the history the watch would resume from). Re-posting
 * every listed object as ADDED would bury the real changes under thousands of duplicates, and objects deleted during
 * the gap would never be reported at all, since a list only shows what exists. Comparing by key and resourceVersion
 * gives exactly the changes: new keys are ADDED, a changed resourceVersion is MODIFIED, keys gone are DELETED. A key
 * whose uid changed was deleted and re-created under the same name (a StatefulSet pod restarting, say): that is a
 * DELETED of the old object followed by an ADDED of the new one.
 */

/** The known state of one object: enough to diff and to report its deletion. */
export interface KnownObject {
  uid: string | undefined;
  resourceVersion: string;
  /** The (trimmed) object as last seen; a synthesized DELETED carries it. */
  object: Record<string, unknown>;
}

/** An event synthesized from a relist. */
export interface RelistEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  key: string;
  object: Record<string, unknown>;
}

/** `namespace/name` (`/name` for cluster-scoped objects): the identity the API server keeps objects under. */
export function objectKey(object: { metadata?: { namespace?: string; name?: string } }): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** Events that turn `known` into `listed` (deletions first, then additions and modifications in list order). */
export function diffRelist(known: ReadonlyMap<string, KnownObject>, listed: ReadonlyMap<string, KnownObject>): RelistEvent[] {
  const events: RelistEvent[] = [];
  for (const [key, before] of known) {
    const after = listed.get(key);
    const recreated = after !== undefined && before.uid !== undefined && after.uid !== undefined && before.uid !== after.uid;
    if (!after || recreated) events.push({ type: "DELETED", key, object: before.object });
  }
  for (const [key, after] of listed) {
    const before = known.get(key);
    const recreated = before !== undefined && before.uid !== undefined && after.uid !== undefined && before.uid !== after.uid;
    if (!before || recreated) events.push({ type: "ADDED", key, object: after.object });
    else if (before.resourceVersion !== after.resourceVersion) events.push({ type: "MODIFIED", key, object: after.object });
  }
  return events;
}
