// A pod's workload in the lab, answering like traefik/whoami: Hostname (the pod's name: the namespace shares the
// machine's UTS namespace, so os.hostname() would be wrong), the pod's addresses, the peer, the request line and
// headers. Started as `ip netns exec POD node whoami.mjs --name NAME --tcp 80[,8080] [--udp 53]`; prints
// "listening" once every port is bound, so the lab knows the pod is ready. UDP ports echo what they receive.
import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { name: { type: "string" }, tcp: { type: "string", default: "80" }, udp: { type: "string", default: "" } } });
const name = values.name ?? os.hostname();
const ports = (list) => list.split(",").filter((p) => p !== "").map(Number);

function addresses() {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined)
    .map((a) => a.address);
}

function answer(req) {
  const lines = [`Hostname: ${name}`, ...addresses().map((ip) => `IP: ${ip}`), `RemoteAddr: ${req.socket.remoteAddress}:${req.socket.remotePort}`];
  lines.push(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return `${lines.join("\n")}\n\n`;
}

const listening = [];
for (const port of ports(values.tcp)) {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(answer(req));
    });
  });
  server.keepAliveTimeout = 1_000;
  listening.push(new Promise((resolve, reject) => server.once("error", reject).listen(port, "0.0.0.0", resolve)));
}
for (const port of ports(values.udp)) {
  const socket = createSocket("udp4");
  socket.on("message", (message, peer) => socket.send(message, peer.port, peer.address));
  listening.push(new Promise((resolve, reject) => socket.once("error", reject).bind(port, "0.0.0.0", resolve)));
}
await Promise.all(listening);
process.stdout.write(`listening ${name} tcp=${values.tcp} udp=${values.udp}\n`);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
