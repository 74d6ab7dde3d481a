/**
 * A recording reverse proxy between the collectors and natwatch: every request goes to the target as it came
 * (method, path, headers with Authorization, body bytes with their gzip) and every answer comes back as the
 * server gave it, while the ingest POSTs (captures and kube events) are written to a recording with their time,
 * decoded body and the server's status. `natwatch replay` later rebuilds the server's state from it.
 *
 * Lines are written when the server has answered, in that order: a 2xx answer means the ingest transaction has
 * committed, so answer order is the order in which the server's state was built, even when agents post at once.
 * The bearer token is never written: a recording is meant to be checked in.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { GZIP_ABOVE_BYTES, INGEST_FILE, INGEST_FILE_GZ, RECORDED_PATHS, formatRecordedRequest, type RecordedPath } from "./recording-format";

/** A running recording proxy. */
export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`: give this to the collectors as their server. */
  url: string;
  /** Stops accepting, waits for requests in flight, and completes the recording (gzip'd when large). */
  close(): Promise<void>;
}

/** Starts a proxy to `target` (natwatch's base URL) recording into directory `dir` (created; its recording replaced). */
export async function startRecordingProxy(options: { target: string; dir: string }): Promise<RecordingProxy> {
  const target = new URL(options.target);
  const file = path.join(options.dir, INGEST_FILE);
  await mkdir(options.dir, { recursive: true });
  await rm(path.join(options.dir, INGEST_FILE_GZ), { force: true });
  const out = createWriteStream(file, { flags: "w" });
  const inFlight = new Set<Promise<void>>();

  const server = createServer((request, response) => {
    const handled = forward(target, request, response, (line) => void out.write(`${line}\n`)).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: `recording proxy: ${target.origin} did not answer: ${error.message}` }));
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Collectors keep connections alive between posts; idle ones would hold close() open forever.
      server.closeIdleConnections();
      await Promise.all(inFlight);
      server.closeAllConnections();
      await closed;
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if ((await stat(file)).size > GZIP_ABOVE_BYTES) {
        // zlib writes mtime 0 in the gzip header, so the same recording gives the same bytes.
        await writeFile(path.join(options.dir, INGEST_FILE_GZ), gzipSync(await readFile(file), { level: 9 }));
        await rm(file);
      }
    },
  };
}

/** Sends `request` to the target, streams the answer back, and hands the recording line of an ingest POST to `record`. */
async function forward(target: URL, request: IncomingMessage, response: ServerResponse, record: (line: string) => void): Promise<void> {
  const at = new Date();
  const body = await readAll(request);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  // Host names the target: a server behind virtual hosting routes by it. Every other header travels as sent.
  const headers: OutgoingHttpHeaders = { ...request.headers, host: target.host };
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers }, resolve);
    outgoing.once("error", reject);
    outgoing.end(body);
  });
  response.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, upstream.rawHeaders);
  await new Promise<void>((resolve, reject) => {
    upstream.pipe(response);
    upstream.once("error", reject);
    response.once("finish", resolve);
    response.once("close", resolve);
  });
  const pathname = new URL(request.url ?? "/", "http://proxy").pathname as RecordedPath;
  if (request.method === "POST" && RECORDED_PATHS.includes(pathname)) {
    record(formatRecordedRequest({ at: at.toISOString(), path: pathname, status: upstream.statusCode ?? 0, body: decodeBody(body, request.headers["content-encoding"]) }));
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The JSON a body carries, or null (an empty probe, a body that is not JSON: the server refused those too). */
function decodeBody(body: Buffer, encoding: string | undefined): unknown {
  try {
    const bytes = encoding?.trim().toLowerCase() === "gzip" ? gunzipSync(body) : body;
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return null;
  }
}
