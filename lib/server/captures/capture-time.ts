/**
 * Which capture times ingest accepts. A clock far ahead would put a snapshot in the future and make every later
 * capture "late"; a time older than retention would be deleted by the next retention pass, or worse, rewrite
 * history that retention already summarised. Both are refused with a message saying which bound was crossed.
 */
import { apiError, type ApiError } from "../http/api-error";

/** How far ahead of the server's clock a capture may be (node clocks drift; NTP keeps them within seconds). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** null when `capturedAt` is acceptable at `now`, else the 400. */
export function checkCaptureTime(capturedAt: Date, now: Date, retentionDays: number): ApiError | null {
  if (capturedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    return apiError(400, "capturedAt is more than 5 minutes in the future; check the node's clock", {
      field: "capturedAt",
      capturedAt: capturedAt.toISOString(),
      serverTime: now.toISOString(),
    });
  }
  const oldest = new Date(now.getTime() - retentionDays * 86_400_000);
  if (capturedAt < oldest) {
    return apiError(400, `capturedAt is older than the retention window of ${retentionDays} days`, {
      field: "capturedAt",
      capturedAt: capturedAt.toISOString(),
      oldestAccepted: oldest.toISOString(),
    });
  }
  return null;
}
