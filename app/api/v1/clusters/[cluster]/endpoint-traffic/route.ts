/**
 * `GET /api/v1/clusters/{cluster}/endpoint-traffic?service&from&to&bucket&family`: for one service port, configured
 * share vs observed new connections per endpoint, per node and overall.
 */
import { z } from "zod";
import { bucketParam, checkRange, defineReadRoute, familyParam, nameSegment, paramError, servicePortParam, timeParam } from "@/lib/server/http/read-route";
import { getEndpointTraffic } from "@/lib/server/queries/get-endpoint-traffic";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment }),
  query: (now) =>
    z.strictObject({
      service: servicePortParam,
      from: timeParam(now).default(new Date(now.getTime() - 24 * 3_600_000)),
      to: timeParam(now).default(now),
      bucket: bucketParam.optional(),
      family: familyParam,
    }),
  async handler({ db, params, query }) {
    if (!query.service.includes(":")) return paramError("service", "must name one service port (namespace/name:port)");
    return (
      checkRange(query.from, query.to) ??
      (await getEndpointTraffic(db, params.cluster, query.service, { from: query.from, to: query.to, bucketSeconds: query.bucket, family: query.family }))
    );
  },
});
