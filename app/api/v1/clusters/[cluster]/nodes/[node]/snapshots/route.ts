/** `GET /api/v1/clusters/{cluster}/nodes/{node}/snapshots?from&to&family&limit`: a node's ruleset states, newest first. */
import { z } from "zod";
import { checkRange, countParam, defineReadRoute, nameSegment, timeParam } from "@/lib/server/http/read-route";
import { listSnapshots } from "@/lib/server/queries/list-snapshots";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment, node: nameSegment }),
  query: (now) =>
    z.strictObject({
      from: timeParam(now).optional(),
      to: timeParam(now).optional(),
      family: z.enum(["ipv4", "ipv6"]).optional(),
      limit: countParam(200, 1000),
    }),
  async handler({ db, params, query }) {
    return checkRange(query.from, query.to) ?? (await listSnapshots(db, params.cluster, params.node, query));
  },
});
