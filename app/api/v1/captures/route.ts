/** `POST /api/v1/captures`: one capture of one node's NAT rules, counters and conntrack (lib/contracts/capture.ts). */
import { captureRequestSchema } from "@/lib/contracts/capture";
import { ingestCapture } from "@/lib/server/captures/ingest-capture";
import { getEnv } from "@/lib/server/env";
import { defineIngestRoute } from "@/lib/server/http/route";

export const runtime = "nodejs";

export const POST = defineIngestRoute({
  schema: captureRequestSchema,
  async handler({ body, principal, db }) {
    const result = await ingestCapture(db, principal.clusterId, body, { retentionDays: getEnv().retentionDays });
    return result.ok ? { status: result.status, body: result.accepted } : result.error;
  },
});
