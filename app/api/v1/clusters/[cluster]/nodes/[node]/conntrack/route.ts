/** `GET /api/v1/clusters/{cluster}/nodes/{node}/conntrack?from&to&bucket`: conntrack fill and statistics over time. */
import { z } from "zod";
import { bucketParam, checkRange, defineReadRoute, nameSegment, timeParam } from "@/lib/server/http/read-route";
import { getConntrackSeries } from "@/lib/server/queries/get-conntrack-series";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment, node: nameSegment }),
  query: (now) =>
    z.strictObject({
      from: timeParam(now).default(new Date(now.getTime() - 24 * 3_600_000)),
      to: timeParam(now).default(now),
      bucket: bucketParam.optional(),
    }),
  async handler({ db, params, query }) {
    return (
      checkRange(query.from, query.to) ??
      (await getConntrackSeries(db, params.cluster, params.node, { from: query.from, to: query.to, bucketSeconds: query.bucket }))
    );
  },
});
