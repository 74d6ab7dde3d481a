/** `GET /api/v1/clusters`: every cluster, with its node count and last capture. */
import { z } from "zod";
import { defineReadRoute } from "@/lib/server/http/read-route";
import { listClusters } from "@/lib/server/queries/list-clusters";

export const runtime = "nodejs";

export const GET = defineReadRoute({
  params: z.object({}),
  query: () => z.strictObject({}),
  async handler({ db }) {
    return { clusters: await listClusters(db) };
  },
});
