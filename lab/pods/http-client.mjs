// The lab's curl: `ip netns exec POD node http-client.mjs URL COUNT` sends COUNT GET requests one after another,
// each on a new TCP connection (no keep-alive: every request is a new connection, so every one goes through the
// nat table's DNAT choice once), and prints one JSON line: replies per Hostname, failures, and the first reply.
import { request } from "node:http";

const [url, countText = "1", timeoutText = "3000"] = process.argv.slice(2);
if (!url) {
  process.stderr.write("usage: http-client.mjs URL [COUNT] [TIMEOUT_MS]\n");
  process.exit(2);
}
const count = Number(countText);
// Headers in curl's order and spelling, so the whoami replies read like the seed's.
const headers = { Host: new URL(url).host, "User-Agent": "curl/8.7.1", Accept: "*/*" };
const timeoutMs = Number(timeoutText);

function get() {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ ok: true, body }));
      res.on("error", (error) => resolve({ ok: false, error: error.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve({ ok: false, error: error.message }));
    req.end();
  });
}

const hostnames = {};
const errors = {};
let first = null;
for (let i = 0; i < count; i++) {
  const reply = await get();
  if (!reply.ok) {
    errors[reply.error] = (errors[reply.error] ?? 0) + 1;
    continue;
  }
  first ??= reply.body;
  const hostname = /^Hostname: (.*)$/m.exec(reply.body)?.[1] ?? "(none)";
  hostnames[hostname] = (hostnames[hostname] ?? 0) + 1;
}
process.stdout.write(`${JSON.stringify({ url, count, hostnames, errors, first })}\n`);
