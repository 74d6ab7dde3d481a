/**
 * Reads a request body as JSON within a size limit, accepting `Content-Encoding: gzip` (the agents compress
 * their uploads). Both the bytes on the wire and the decompressed size are capped, so a small gzip bomb is
 * refused like a large body.
 */
import { gunzipSync } from "node:zlib";
import { apiError, type ApiError } from "./api-error";

export type BodyResult = { ok: true; value: unknown; wireBytes: number } | { ok: false; error: ApiError };

export async function readJsonBody(request: Request, maxBytes: number): Promise<BodyResult> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return { ok: false, error: apiError(415, "content type must be application/json", { contentType: type || null }) };
  }
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    return { ok: false, error: apiError(415, "content encoding must be gzip or none", { contentEncoding: encoding }) };
  }
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, error: tooLarge(maxBytes) };

  const raw = await readLimited(request, maxBytes);
  if (raw === null) return { ok: false, error: tooLarge(maxBytes) };

  let bytes: Buffer = raw;
  if (encoding === "gzip") {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (error) {
      if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        return { ok: false, error: tooLarge(maxBytes) };
      }
      return { ok: false, error: apiError(400, "body is not valid gzip", { reason: (error as Error).message }) };
    }
  }
  try {
    return { ok: true, value: JSON.parse(bytes.toString("utf8")), wireBytes: raw.length };
  } catch (error) {
    return { ok: false, error: apiError(400, "body is not valid JSON", { reason: (error as Error).message }) };
  }
}

function tooLarge(maxBytes: number): ApiError {
  return apiError(413, `body exceeds ${maxBytes} bytes`, { limitBytes: maxBytes });
}

/** The body's bytes, or null as soon as they pass the limit (the rest is not read). */
async function readLimited(request: Request, maxBytes: number): Promise<Buffer | null> {
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
