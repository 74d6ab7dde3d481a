/**
 * `GET /api/v1/clusters/{cluster}/diff?from=REF&to=REF&family&context`: what differs between two snapshots, by
 * service and then chain by chain. REF is a node (its rules now), `node@time` (its rules then) or a snapshot id.
 */
import { z } from "zod";
import { defineReadRoute, familyParam, nameSegment } from "@/lib/server/http/read-route";
import { diffSnapshots } from "@/lib/server/queries/diff-snapshots";
import { parseSnapshotRef } from "@/lib/server/queries/snapshot-ref";

export const runtime = "nodejs";

function snapshotRefParam(now: Date) {
  return z.string().transform((text, ctx) => {
    const ref = parseSnapshotRef(text, now);
    if (ref) return ref;
    ctx.addIssue({ code: "custom", message: "must be a node (myk8s-worker2), a node at a time (myk8s-worker2@1h, …@2026-01-05T10:00:00Z) or a snapshot id" });
    return z.NEVER;
  });
}

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment }),
  query: (now) =>
    z.strictObject({
      from: snapshotRefParam(now),
      to: snapshotRefParam(now),
      family: familyParam,
      context: z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().max(100)).default(3),
    }),
  async handler({ db, params, query }) {
    return diffSnapshots(db, params.cluster, query.from, query.to, { family: query.family, context: query.context });
  },
});
