/** `GET /api/v1/clusters/{cluster}/services/{namespace~name:port}/changes?node&kind&from&to&limit&cursor`: one port's timeline. */
import { z } from "zod";
import { changeKindParam, checkRange, countParam, cursorParam, defineReadRoute, nameSegment, servicePortSegmentParam, timeParam } from "@/lib/server/http/read-route";
import { listChanges } from "@/lib/server/queries/list-changes";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment, servicePort: servicePortSegmentParam }),
  query: (now) =>
    z.strictObject({
      node: nameSegment.optional(),
      kind: changeKindParam.optional(),
      from: timeParam(now).optional(),
      to: timeParam(now).optional(),
      limit: countParam(100, 1000),
      cursor: cursorParam.optional(),
    }),
  async handler({ db, params, query }) {
    return checkRange(query.from, query.to) ?? (await listChanges(db, params.cluster, { ...query, service: params.servicePort }));
  },
});
