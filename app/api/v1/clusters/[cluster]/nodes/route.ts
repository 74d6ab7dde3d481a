/** `GET /api/v1/clusters/{cluster}/nodes`: the nodes, their last capture, mode and current rulesets. */
import { z } from "zod";
import { defineReadRoute, nameSegment } from "@/lib/server/http/read-route";
import { listNodes } from "@/lib/server/queries/list-nodes";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({ cluster: nameSegment }),
  query: () => z.strictObject({}),
  async handler({ db, params }) {
    const nodes = await listNodes(db, params.cluster);
    return Array.isArray(nodes) ? { cluster: params.cluster, nodes } : nodes;
  },
});
