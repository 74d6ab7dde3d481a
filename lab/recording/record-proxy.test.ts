import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecordingProxy } from "./record-proxy";
import { GZIP_ABOVE_BYTES, readRecording } from "./recording-format";

/** What the upstream server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

describe("recording proxy", () => {
  let upstream: Server;
  let upstreamUrl: string;
  const seen: Seen[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    // An upstream that answers captures 201 and kube events 409, with its own headers and a body naming the request.
    upstream = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks) });
      const status = request.url?.startsWith("/api/v1/kube-events") ? 409 : 201;
      response.writeHead(status, { "content-type": "application/json", "x-natwatch-test": "upstream" });
      response.end(JSON.stringify({ echoed: `${request.method} ${request.url}` }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => upstream.close(resolve));
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function recordingDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-recording-"));
    dirs.push(dir);
    return dir;
  }

  it("forwards requests and answers unchanged and records only the ingest POSTs, decoded, in answer order", async () => {
    const dir = await recordingDir();
    const proxy = await startRecordingProxy({ target: upstreamUrl, dir });
    const capture = { captureId: "capture-0001", cluster: "myk8s", capturedAt: "2026-11-27T10:00:00.123Z" };
    const gzipped = gzipSync(JSON.stringify(capture));
    seen.length = 0;

    const first = await fetch(`${proxy.url}/api/v1/captures`, {
      method: "POST",
      headers: { authorization: "Bearer secret-token", "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipped,
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("x-natwatch-test")).toBe("upstream");
    expect(await first.json()).toEqual({ echoed: "POST /api/v1/captures" });
    const events = { cluster: "myk8s", events: [{ kind: "Pod", observedAt: "2026-11-27T10:00:01Z" }] };
    const second = await fetch(`${proxy.url}/api/v1/kube-events`, { method: "POST", headers: { authorization: "Bearer secret-token" }, body: JSON.stringify(events) });
    expect(second.status).toBe(409);
    const read = await fetch(`${proxy.url}/api/v1/clusters/myk8s/nodes?from=1h`);
    expect(await read.json()).toEqual({ echoed: "GET /api/v1/clusters/myk8s/nodes?from=1h" });
    await proxy.close();

    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /api/v1/captures", "POST /api/v1/kube-events", "GET /api/v1/clusters/myk8s/nodes?from=1h"]);
    expect(seen[0]!.body.equals(gzipped)).toBe(true);
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer secret-token", "content-encoding": "gzip", "content-type": "application/json" });
    expect(seen[1]!.headers.authorization).toBe("Bearer secret-token");

    const recording = await readRecording(dir);
    expect(recording.requests).toEqual([
      { at: expect.any(String), path: "/api/v1/captures", status: 201, body: capture },
      { at: expect.any(String), path: "/api/v1/kube-events", status: 409, body: events },
    ]);
    expect(recording.scenario).toBeNull();
    const text = await readFile(path.join(dir, "ingest.ndjson"), "utf8");
    expect(text).not.toContain("secret-token");
    expect(text.split("\n")[0]).toMatch(/^\{"at":"[^"]+","path":"\/api\/v1\/captures","status":201,"body":\{"captureId"/);
  });

  it("answers 502 when the server is unreachable and records nothing", async () => {
    const dir = await recordingDir();
    const proxy = await startRecordingProxy({ target: "http://127.0.0.1:9", dir });
    const response = await fetch(`${proxy.url}/api/v1/captures`, { method: "POST", body: "{}" });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toMatch(/did not answer/);
    await proxy.close();
    expect((await readRecording(dir)).requests).toEqual([]);
  });

  it("gzips a large recording when it closes, and reads it back the same", async () => {
    const dir = await recordingDir();
    const proxy = await startRecordingProxy({ target: upstreamUrl, dir });
    const chains = Array.from({ length: 40 }, (_, i) => ({ digest: String(i).padStart(64, "0"), body: `-A KUBE-SVC-X${i} -j KUBE-SEP-Y\n`.repeat(400) }));
    for (let i = 0; i < 3; i++) {
      await fetch(`${proxy.url}/api/v1/captures`, { method: "POST", body: JSON.stringify({ captureId: `capture-${i}`, chains }) });
    }
    await proxy.close();
    expect(await readdir(dir)).toEqual(["ingest.ndjson.gz"]);
    const gz = await readFile(path.join(dir, "ingest.ndjson.gz"));
    expect(gunzipSync(gz).length).toBeGreaterThan(GZIP_ABOVE_BYTES);
    expect(gz.length).toBeLessThan(GZIP_ABOVE_BYTES / 10);
    const requests = (await readRecording(dir)).requests;
    expect(requests.map((r) => (r.body as { captureId: string }).captureId)).toEqual(["capture-0", "capture-1", "capture-2"]);
  });
});
