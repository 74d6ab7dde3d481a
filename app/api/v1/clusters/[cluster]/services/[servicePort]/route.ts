/** `GET /api/v1/clusters/{cluster}/services/{namespace~name:port}?family&at&protocol`: one service port on every node. */
import { z } from "zod";
import { defineReadRoute, familyParam, nameSegment, servicePortSegmentParam, timeParam } from "@/lib/server/http/read-route";
import { getServicePort } from "@/lib/server/queries/get-service-port";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment, servicePort: servicePortSegmentParam }),
  query: (now) =>
    z.strictObject({
      family: familyParam,
      at: timeParam(now).optional(),
      protocol: z.enum(["tcp", "udp", "sctp"]).optional(),
    }),
  async handler({ db, params, query }) {
    return getServicePort(db, params.cluster, params.servicePort, query);
  },
});
