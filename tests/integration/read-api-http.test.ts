/**
 * The read API through the real Next app (`next dev` on a test database, per provider): URLs as a browser or script
 * sends them — percent-encoding included — with no token, JSON and text answers, 400 and 404.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "./support/app-server";
import { providers, useTestDatabase } from "./support/databases";
import { recordSeedHistory, type SeedHistory } from "./support/history-fixtures";
import { at, seedDump } from "./support/ingest-fixtures";

describe.each(providers)("read API over HTTP on %s", (provider) => {
  const database = useTestDatabase(provider);
  let seed: SeedHistory;
  let app: AppServer | undefined;
  beforeAll(async () => {
    seed = await recordSeedHistory(database().db, "myk8s");
    app = await startAppServer({ databaseUrl: database().url });
  }, 600_000);
  afterAll(async () => {
    await app?.stop();
  });

  async function get(pathAndQuery: string) {
    const response = await fetch(`${app?.url}${pathAndQuery}`, { signal: AbortSignal.timeout(120_000) });
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, type, body: type.startsWith("application/json") ? await response.json() : await response.text() };
  }

  it("answers reads without a token", async () => {
    const clusters = await get("/api/v1/clusters");
    expect(clusters).toMatchObject({ status: 200, body: { clusters: [{ name: "myk8s", nodes: 4, lastCaptureAt: at(20) }] } });
    const nodes = await get("/api/v1/clusters/myk8s/nodes");
    expect(nodes.body.nodes.map((n: { name: string }) => n.name)).toEqual(["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  }, 180_000);

  it("reads a service port by its ~ segment and by its percent-encoded name alike", async () => {
    const bySegment = await get("/api/v1/clusters/myk8s/services/default~svc-clusterip:svc-webport");
    const byEncoded = await get(`/api/v1/clusters/myk8s/services/${encodeURIComponent("default/svc-clusterip:svc-webport")}`);
    expect(bySegment).toMatchObject({ status: 200, body: { name: "default/svc-clusterip:svc-webport", agreement: { agreeing: 4, nodes: 4 } } });
    expect(byEncoded.body).toEqual(bySegment.body);
    const lagging = await get(`/api/v1/clusters/myk8s/services/default~svc-clusterip:svc-webport?at=${encodeURIComponent(at(15))}`);
    expect(lagging.body.agreement).toEqual({ agreeing: 3, nodes: 4 });
    const changes = await get("/api/v1/clusters/myk8s/changes?service=default/svc-clusterip&node=myk8s-worker3");
    // Filtered to worker3, its delay is still measured against the nodes that followed ten minutes earlier.
    expect(changes.body.changes.map((c: { kind: string; delayMs: number }) => [c.kind, c.delayMs])).toEqual([
      ["path-added", 600_000],
      ["path-added", 600_000],
    ]);
  }, 180_000);

  it("serves a snapshot's ruleset as the captured text without counters, and diffs nodes by name", async () => {
    const id = seed.clusterIpSnapshot["myk8s-control-plane"];
    const text = await get(`/api/v1/clusters/myk8s/nodes/myk8s-control-plane/snapshots/${id}/ruleset`);
    expect([text.status, text.type]).toEqual([200, "text/plain; charset=utf-8"]);
    expect(text.body).toBe(
      seedDump("clusterip")
        .split("\n")
        .filter((line) => !line.startsWith("#"))
        .map((line) => line.replace(/^\[\d+:\d+\] /, "").replace(/ \[\d+:\d+\]$/, " [0:0]"))
        .join("\n"),
    );
    const now = await get("/api/v1/clusters/myk8s/diff?from=myk8s-worker2&to=myk8s-worker3");
    expect(now).toMatchObject({ status: 200, body: { identical: true } });
    const then = await get(`/api/v1/clusters/myk8s/diff?from=myk8s-worker3@${encodeURIComponent(at(15))}&to=myk8s-worker2@${encodeURIComponent(at(15))}`);
    expect(then.body.chains.added.map((c: { chain: string }) => c.chain)).toEqual(["KUBE-EXT-KBDEBIL6IU6WL7RF"]);
  }, 180_000);

  it("answers 400 naming the parameter and 404 naming what is unknown", async () => {
    expect(await get("/api/v1/clusters/myk8s/changes?from=last-tuesday")).toMatchObject({ status: 400, body: { detail: { issues: [{ field: "from" }] } } });
    expect(await get("/api/v1/clusters/myk8s/diff?from=myk8s-worker2")).toMatchObject({ status: 400, body: { detail: { issues: [{ field: "to" }] } } });
    expect(await get("/api/v1/clusters/nope/services")).toMatchObject({ status: 404, body: { error: 'unknown cluster "nope"' } });
    expect(await get("/api/v1/clusters/myk8s/nodes/myk8s-worker9/conntrack")).toMatchObject({ status: 404, body: { detail: { node: "myk8s-worker9" } } });
  }, 180_000);
});
