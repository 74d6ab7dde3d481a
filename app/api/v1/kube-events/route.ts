/** `POST /api/v1/kube-events`: a batch of Pod, Service, EndpointSlice and Node watch events (lib/contracts/kube-events.ts). */
import { kubeEventBatchSchema } from "@/lib/contracts/kube-events";
import { ingestKubeEvents } from "@/lib/server/kube-events/ingest-kube-events";
import { defineIngestRoute } from "@/lib/server/http/route";

export const runtime = "nodejs";

export const POST = defineIngestRoute({
  schema: kubeEventBatchSchema,
  async handler({ body, principal, db }) {
    return { status: 201, body: await ingestKubeEvents(db, principal.clusterId, body) };
  },
});
