/**
 * `GET /api/v1/clusters/{cluster}/services?q&family&at&limit&offset`: every service port with, per node, its chains,
 * cluster IPs, node ports and endpoints (configured shares, counted connections), and whether the nodes agree.
 */
import { z } from "zod";
import { countParam, defineReadRoute, familyParam, nameSegment, offsetParam, timeParam } from "@/lib/server/http/read-route";
import { listServicePorts } from "@/lib/server/queries/list-service-ports";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment }),
  query: (now) =>
    z.strictObject({
      q: z.string().max(200).optional(),
      family: familyParam,
      at: timeParam(now).optional(),
      limit: countParam(100, 1000),
      offset: offsetParam,
    }),
  async handler({ db, params, query }) {
    return listServicePorts(db, params.cluster, query);
  },
});
