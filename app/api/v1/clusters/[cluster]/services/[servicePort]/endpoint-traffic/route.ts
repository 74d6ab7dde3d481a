/** `GET /api/v1/clusters/{cluster}/services/{namespace~name:port}/endpoint-traffic?from&to&bucket&family`. */
import { z } from "zod";
import { bucketParam, checkRange, defineReadRoute, familyParam, nameSegment, servicePortSegmentParam, timeParam } from "@/lib/server/http/read-route";
import { getEndpointTraffic } from "@/lib/server/queries/get-endpoint-traffic";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment, servicePort: servicePortSegmentParam }),
  query: (now) =>
    z.strictObject({
      from: timeParam(now).default(new Date(now.getTime() - 24 * 3_600_000)),
      to: timeParam(now).default(now),
      bucket: bucketParam.optional(),
      family: familyParam,
    }),
  async handler({ db, params, query }) {
    return (
      checkRange(query.from, query.to) ??
      (await getEndpointTraffic(db, params.cluster, params.servicePort, { from: query.from, to: query.to, bucketSeconds: query.bucket, family: query.family }))
    );
  },
});
