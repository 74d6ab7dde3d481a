/** `GET /api/v1/clusters/{cluster}/changes?service&node&kind&from&to&limit&cursor`: the change timeline, newest first. */
import { z } from "zod";
import { changeKindParam, checkRange, countParam, cursorParam, defineReadRoute, nameSegment, servicePortParam, timeParam } from "@/lib/server/http/read-route";
import { listChanges } from "@/lib/server/queries/list-changes";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment }),
  query: (now) =>
    z.strictObject({
      service: servicePortParam.optional(),
      node: nameSegment.optional(),
      kind: changeKindParam.optional(),
      from: timeParam(now).optional(),
      to: timeParam(now).optional(),
      limit: countParam(100, 1000),
      cursor: cursorParam.optional(),
    }),
  async handler({ db, params, query }) {
    return checkRange(query.from, query.to) ?? (await listChanges(db, params.cluster, query));
  },
});
