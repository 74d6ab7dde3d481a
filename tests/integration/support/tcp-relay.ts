/**
 * A TCP relay in front of a natwatch app for the collectors' tests: it counts the request bytes on the wire and can
 * play an unreachable server (down: connections refused, open ones cut) or a slow one (delay).
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** A relay in front of the app: counts request bytes, can refuse connections (down) or hold requests (delay). */
export interface Relay {
  url: string;
  bytes(): number;
  down(): Promise<void>;
  up(): Promise<void>;
  delay(ms: number): void;
  close(): Promise<void>;
}

export async function startRelay(target: URL): Promise<Relay> {
  let bytes = 0;
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const onConnection = (client: Socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (delayMs > 0) setTimeout(() => upstream.write(chunk), delayMs);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: () => bytes,
    down: close,
    async up() {
      server = createServer(onConnection);
      await listen(port);
    },
    delay: (ms) => void (delayMs = ms),
    close,
  };
}
