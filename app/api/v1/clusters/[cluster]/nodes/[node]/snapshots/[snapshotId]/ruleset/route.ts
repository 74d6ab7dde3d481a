/**
 * `GET /api/v1/clusters/{cluster}/nodes/{node}/snapshots/{snapshotId}/ruleset[?format=json]`: the snapshot's rules
 * as the node printed them (text/plain, iptables-save without counters), or as JSON chains.
 */
import { z } from "zod";
import { defineReadRoute, nameSegment, textAnswer } from "@/lib/server/http/read-route";
import { getSnapshotRuleset } from "@/lib/server/queries/get-snapshot-ruleset";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({
    cluster: nameSegment,
    node: nameSegment,
    snapshotId: z.string().regex(/^\d{1,12}$/, "must be a snapshot id (a whole number)").transform(Number),
  }),
  query: () => z.strictObject({ format: z.enum(["text", "json"]).default("text") }),
  async handler({ db, params, query }) {
    const ruleset = await getSnapshotRuleset(db, params.cluster, params.node, params.snapshotId, query.format);
    if ("notFound" in ruleset || ruleset.format === "json") return ruleset;
    return textAnswer(ruleset.text);
  },
});
