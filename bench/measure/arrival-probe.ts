/**
 * When does a capture arrive at the server? A pass-through proxy between an agent and the app that notes, for every
 * capture upload, the moment its last request byte arrived and the capture time it carries. The agent's latency
 * budget ends there ("the capture arriving at the server"); what the server then does with it is the ingest's
 * business, measured separately.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface CaptureArrival {
  /** performance.now() when the request body had fully arrived. */
  arrivedAt: number;
  /** The capture's own capturedAt (ms since the epoch). */
  capturedAt: number;
  /** The server's answer; 0 until it has answered. */
  status: number;
}

export interface ArrivalProbe {
  url: string;
  arrivals: CaptureArrival[];
  close(): Promise<void>;
}

export async function startArrivalProbe(target: string): Promise<ArrivalProbe> {
  const base = new URL(target);
  const arrivals: CaptureArrival[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const arrivedAt = performance.now();
      const body = Buffer.concat(chunks);
      // Noted on arrival, not on the answer: the server stores the snapshot before it answers, and whoever waits
      // for the snapshot must find the arrival already there.
      const arrival: CaptureArrival = { arrivedAt, capturedAt: Number.NaN, status: 0 };
      if (incoming.method === "POST" && incoming.url === "/api/v1/captures") {
        arrival.capturedAt = capturedAtOf(body, incoming.headers["content-encoding"]);
        arrivals.push(arrival);
      }
      const upstream = httpRequest(
        { host: base.hostname, port: base.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          arrival.status = answer.statusCode ?? 0;
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on("error", (error) => {
        outgoing.writeHead(502, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ error: `arrival probe: ${error.message}` }));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function capturedAtOf(body: Buffer, encoding: string | string[] | undefined): number {
  try {
    const text = (encoding === "gzip" ? gunzipSync(body) : body).toString("utf8");
    return Date.parse((JSON.parse(text) as { capturedAt?: string }).capturedAt ?? "");
  } catch {
    return Number.NaN;
  }
}
