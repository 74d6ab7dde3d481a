/**
 * Dashboard figures behind DESIGN.md's "service page with 30 days of history: server render under 300 ms", measured
 * the way a browser meets them: HTTP requests to a production server (`next build` + `next start`) reading SQLite.
 *
 * History: four nodes capturing every minute for 30 days (172,800 captures) of the synthetic cluster the other
 * sections use (bench/generate-nat-dump.ts), with a rollout touching 1% of services every two hours that one node
 * applies a minute late (and, once a day, five minutes late). Ingesting that over HTTP would take hours, so it is
 * seeded through the use cases in bulk: every capture that changes a node's rules goes through ingestCapture (which
 * stores rulesets, models and derived service changes), the unchanged minutes between two changes are written as the
 * Capture rows and snapshot extensions ingest would have written for them, and the conntrack samples and the busiest
 * service port's per-endpoint traffic are inserted in bulk. The seeded database is cached in bench/out, keyed by
 * this generator's version and the shape, and measured with explicit time ranges ending at the seeded end, so a
 * cached history gives the same pages on any later day.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { servicePortSegment } from "../../lib/server/queries/service-port-segment";
import { repoRoot } from "../../scripts/db-cli";
import type { BenchRow, BenchSection } from "../report";
import { CLUSTER, MINUTE, SHAPE, nodeName, seededDatabase, type HistoryShape } from "../seed-dashboard-history";
import { fmtBytes, fmtMs, median, percentile } from "../stats";

const RUNS = 15;
const PORT = 3290;
const BUDGET_MS = 300;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}`))));
  });
}

async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the server did not answer ${url} within 2 minutes`);
}

/** Time to the last byte of `url`, `RUNS` times after two warm-up requests; the status must be 200. */
async function measurePage(url: string): Promise<number[]> {
  const once = async () => {
    const t0 = performance.now();
    const response = await fetch(url, { redirect: "manual" });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
    return performance.now() - t0;
  };
  await once();
  await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  return times;
}

/** Bytes of the HTML and of every script it loads (what a first visit downloads besides CSS and fonts). */
async function pageWeight(base: string, pagePath: string): Promise<{ html: number; js: number; gzip: number; scripts: number; css: number }> {
  const html = await (await fetch(base + pagePath)).text();
  const scripts = [...new Set([...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!))];
  const styles = [...new Set([...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g), ...html.matchAll(/<link[^>]+href="([^"]+\.css)"/g)].map((m) => m[1]!))];
  let js = 0;
  let gzip = gzipSync(html).length;
  for (const src of scripts) {
    const body = Buffer.from(await (await fetch(new URL(src, base))).arrayBuffer());
    js += body.length;
    gzip += gzipSync(body).length;
  }
  let css = 0;
  for (const href of styles) css += (await (await fetch(new URL(href, base))).arrayBuffer()).byteLength;
  return { html: Buffer.byteLength(html), js, gzip, scripts: scripts.length, css };
}

export async function dashboardSection(options: { shape?: Partial<HistoryShape> } = {}): Promise<BenchSection> {
  const shape = { ...SHAPE, ...options.shape };
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const { file, meta, cached } = await seededDatabase(shape);
  const end = new Date(meta.end);
  notes.push(
    `History: ${shape.nodes} nodes × ${shape.days} days of ${shape.captureMinutes}-minute captures (${meta.captures.toLocaleString("en")} captures, ${meta.changedCaptures} of them changed rules), ` +
      `${shape.services} services with ${shape.churn * 100}% rolled every ${shape.rolloutMinutes} min (${meta.serviceChanges.toLocaleString("en")} service changes), ` +
      `${meta.trafficRows.toLocaleString("en")} traffic rows for ${meta.busiestPort}; ${cached ? `cached database, seeded in ${meta.seedSeconds.toFixed(0)} s` : `seeded in ${meta.seedSeconds.toFixed(0)} s`} (${path.relative(repoRoot, file)}).`,
  );

  const distEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: `file:${file}` };
  process.stderr.write("bench: dashboard, next build\n");
  await run("npx", ["next", "build"], distEnv);
  const server = spawn("npx", ["next", "start", "--hostname", "127.0.0.1", "--port", String(PORT)], { cwd: repoRoot, env: distEnv, stdio: ["ignore", "ignore", "inherit"], detached: true });
  const base = `http://127.0.0.1:${PORT}`;
  try {
    await waitForServer(`${base}/api/v1/clusters`, server);
    const range = { cluster: CLUSTER, range: "custom", from: new Date(end.getTime() - 86_400_000).toISOString(), to: end.toISOString() };
    const servicePath = `/services/${servicePortSegment(meta.busiestPort)}?${new URLSearchParams(range)}`;
    const probe = await fetch(base + servicePath);
    await probe.text();
    const serviceMeasured = !(probe.status === 404 && !existsSync(path.join(repoRoot, "app/(dashboard)/services/[servicePort]/page.tsx")));
    if (probe.status === 404 && !existsSync(path.join(repoRoot, "app/(dashboard)/services/[servicePort]/page.tsx"))) {
      rows.push({ measure: "service page, server render (last day of a 30-day history)", value: "not measured: the service page does not exist in this tree", budget: `p50 < ${BUDGET_MS} ms`, ok: null });
    } else {
      const times = await measurePage(base + servicePath);
      rows.push({
        measure: `service page ${meta.busiestPort}, server render over HTTP (last day of the 30-day history, ${RUNS} runs), p50 / p90`,
        value: `${fmtMs(median(times))} / ${fmtMs(percentile(times, 90))}`,
        budget: `p50 < ${BUDGET_MS} ms`,
        ok: median(times) < BUDGET_MS,
      });
      const weight = await pageWeight(base, servicePath);
      rows.push({
        measure: "service page, HTML + JS a first visit downloads",
        value: `${fmtBytes(weight.html + weight.js)} (HTML ${fmtBytes(weight.html)}, ${weight.scripts} scripts ${fmtBytes(weight.js)}); ${fmtBytes(weight.gzip)} gzip; CSS ${fmtBytes(weight.css)} besides`,
        budget: "",
        ok: null,
      });
    }
    const month = { ...range, from: new Date(end.getTime() - shape.days * 86_400_000).toISOString() };
    const informational: [string, string][] = [
      [`node page ${nodeName(0)} (last day: snapshot intervals, conntrack series, flows)`, `/nodes/${nodeName(0)}?${new URLSearchParams(range)}`],
      [`service page ${meta.busiestPort} over the whole ${shape.days} days`, `/services/${servicePortSegment(meta.busiestPort)}?${new URLSearchParams(month)}`],
      ["overview", `/?${new URLSearchParams({ cluster: CLUSTER })}`],
    ];
    for (const [label, pagePath] of informational) {
      if (pagePath.startsWith("/services/") && !serviceMeasured) continue;
      const times = await measurePage(base + pagePath);
      rows.push({ measure: `${label}, server render over HTTP (${RUNS} runs), p50 / p90`, value: `${fmtMs(median(times))} / ${fmtMs(percentile(times, 90))}`, budget: "", ok: null });
    }
    // A minute after the last rollout, node-0 has the new rules and the late node still has the old ones.
    const totalMinutes = shape.days * 1440;
    const afterRollout = new Date(end.getTime() - totalMinutes * MINUTE + Math.floor((totalMinutes - 1) / shape.rolloutMinutes) * shape.rolloutMinutes * MINUTE + 30_000);
    const late = nodeName(shape.nodes - 1);
    const comparisons: [string, string, string][] = [
      [`compare page, ${nodeName(0)} a day before the end vs at the end`, `${nodeName(0)}@${new Date(end.getTime() - 86_400_000).toISOString()}`, `${nodeName(0)}@${end.toISOString()}`],
      [`compare page, ${nodeName(0)} vs the late ${late} half a minute after the last rollout`, `${nodeName(0)}@${afterRollout.toISOString()}`, `${late}@${afterRollout.toISOString()}`],
    ];
    for (const [label, a, b] of comparisons) {
      const times = await measurePage(`${base}/compare?${new URLSearchParams({ ...range, a, b })}`);
      rows.push({ measure: `${label}, server render over HTTP (${RUNS} runs), p50 / p90`, value: `${fmtMs(median(times))} / ${fmtMs(percentile(times, 90))}`, budget: `p50 < ${BUDGET_MS} ms`, ok: median(times) < BUDGET_MS });
    }
  } finally {
    if (server.pid) process.kill(-server.pid, "SIGTERM");
  }
  notes.push("Server render = time to the last byte of the page's HTML from `next start` on 127.0.0.1 (no CDN, no compression), after two warm-up requests; the range is the last day before the seeded end, so a cached history measures the same pages later.");
  notes.push("Page weight sums the HTML and each <script src> it names, uncompressed and gzip'd one by one (as a server compressing them would send).");
  return { title: "Dashboard: pages over a 30-day history", rows, notes };
}
