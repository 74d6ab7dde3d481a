/**
 * Read API over HTTP semantics: the route handlers answered with real `Request`s — JSON and text bodies, 400s that
 * name the offending parameter, 404s that name what is unknown — on both databases.
 *
 * The routes reach the database through `getDb()`, which keeps the process's client on globalThis
 * (lib/server/db.ts); each provider's block points it at its own test database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { GET as getClusters } from "@/app/api/v1/clusters/route";
import { GET as getChanges } from "@/app/api/v1/clusters/[cluster]/changes/route";
import { GET as getDiff } from "@/app/api/v1/clusters/[cluster]/diff/route";
import { GET as getTraffic } from "@/app/api/v1/clusters/[cluster]/endpoint-traffic/route";
import { GET as getNodes } from "@/app/api/v1/clusters/[cluster]/nodes/route";
import { GET as getConntrack } from "@/app/api/v1/clusters/[cluster]/nodes/[node]/conntrack/route";
import { GET as getSnapshots } from "@/app/api/v1/clusters/[cluster]/nodes/[node]/snapshots/route";
import { GET as getRuleset } from "@/app/api/v1/clusters/[cluster]/nodes/[node]/snapshots/[snapshotId]/ruleset/route";
import { GET as getServices } from "@/app/api/v1/clusters/[cluster]/services/route";
import { GET as getService } from "@/app/api/v1/clusters/[cluster]/services/[servicePort]/route";
import { GET as getServiceChanges } from "@/app/api/v1/clusters/[cluster]/services/[servicePort]/changes/route";
import type { Db } from "../../lib/server/db";
import { providers, useTestDatabase } from "./support/databases";
import { recordSeedHistory, type SeedHistory } from "./support/history-fixtures";
import { at, seedDump } from "./support/ingest-fixtures";

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

/** Calls a GET handler as Next does: the URL with its query, and the (already decoded) path parameters. */
async function call<P>(handler: Handler<P>, params: P, query = "") {
  const response = await handler(new Request(`http://natwatch.test/api/v1/x${query}`), { params: Promise.resolve(params) });
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, type, body: type.startsWith("application/json") ? await response.json() : await response.text() };
}

/** The first field a 400 names. */
const field = (body: { detail?: { issues?: { field: string }[] } }) => body.detail?.issues?.[0]?.field;

describe.each(providers)("read API routes on %s", (provider) => {
  const database = useTestDatabase(provider);
  let seed: SeedHistory;
  beforeAll(async () => {
    seed = await recordSeedHistory(database().db, "kind");
    (globalThis as { natwatchDb?: Promise<Db> }).natwatchDb = Promise.resolve(database().db);
  }, 240_000);

  it("lists clusters and nodes as JSON, times in ISO-8601", async () => {
    const clusters = await call(getClusters, {});
    expect(clusters).toMatchObject({ status: 200, type: "application/json" });
    expect(clusters.body).toEqual({ clusters: [{ name: "kind", createdAt: expect.any(String), nodes: 4, lastCaptureAt: at(20) }] });
    const nodes = await call(getNodes, { cluster: "kind" });
    expect(nodes.body.nodes.map((n: { name: string; mode: string }) => [n.name, n.mode])).toEqual([
      ["myk8s-control-plane", "iptables"],
      ["myk8s-worker", "iptables"],
      ["myk8s-worker2", "iptables"],
      ["myk8s-worker3", "iptables"],
    ]);
  });

  it("answers 404 naming the unknown cluster, node, snapshot or service port", async () => {
    expect(await call(getNodes, { cluster: "nope" })).toMatchObject({ status: 404, body: { error: 'unknown cluster "nope"', detail: { cluster: "nope" } } });
    expect(await call(getSnapshots, { cluster: "kind", node: "myk8s-worker9" })).toMatchObject({
      status: 404,
      body: { error: 'unknown node "myk8s-worker9" in cluster "kind"', detail: { node: "myk8s-worker9" } },
    });
    expect(await call(getRuleset, { cluster: "kind", node: "myk8s-worker", snapshotId: "999999" })).toMatchObject({ status: 404, body: { detail: { snapshot: "999999" } } });
    expect(await call(getService, { cluster: "kind", servicePort: "default~nope:http" })).toMatchObject({ status: 404, body: { detail: { "service-port": "default/nope:http" } } });
    expect(await call(getChanges, { cluster: "kind" }, "?node=myk8s-worker9")).toMatchObject({ status: 404, body: { detail: { node: "myk8s-worker9" } } });
    expect(await call(getConntrack, { cluster: "kind", node: "myk8s-worker9" })).toMatchObject({ status: 404 });
  });

  it("answers 400 naming the parameter for bad times, counts, formats, references and unknown parameters", async () => {
    const cases: [Promise<{ status: number; body: { error: string } }>, string][] = [
      [call(getSnapshots, { cluster: "kind", node: "myk8s-worker" }, "?from=yesterday"), "from"],
      [call(getSnapshots, { cluster: "kind", node: "myk8s-worker" }, "?limit=0"), "limit"],
      [call(getSnapshots, { cluster: "kind", node: "myk8s-worker" }, `?from=${at(10)}&to=${at(0)}`), "from"],
      [call(getRuleset, { cluster: "kind", node: "myk8s-worker", snapshotId: "latest" }), "snapshotId"],
      [call(getRuleset, { cluster: "kind", node: "myk8s-worker", snapshotId: "1" }, "?format=xml"), "format"],
      [call(getService, { cluster: "kind", servicePort: "svc-clusterip" }), "servicePort"],
      [call(getChanges, { cluster: "kind" }, "?to=2026-13-45T99:00:00Z"), "to"],
      [call(getChanges, { cluster: "kind" }, "?cursor=abc"), "cursor"],
      [call(getDiff, { cluster: "kind" }, "?from=myk8s-worker2"), "to"],
      [call(getDiff, { cluster: "kind" }, "?from=Worker_2&to=myk8s-worker3"), "from"],
      [call(getDiff, { cluster: "kind" }, "?from=myk8s-worker2@soon&to=myk8s-worker3"), "from"],
      [call(getTraffic, { cluster: "kind" }, ""), "service"],
      [call(getTraffic, { cluster: "kind" }, "?service=default/svc-clusterip"), "service"],
      [call(getConntrack, { cluster: "kind", node: "myk8s-control-plane" }, "?bucket=often"), "bucket"],
      [call(getServices, { cluster: "kind" }, "?family=ipv5"), "family"],
    ];
    for (const [answer, name] of cases) {
      const { status, body } = await answer;
      expect([status, field(body as never)], JSON.stringify(body)).toEqual([400, name]);
      expect(body.error).toContain(name);
    }
    const typo = await call(getChanges, { cluster: "kind" }, "?form=1h");
    expect(typo.status).toBe(400);
    expect(typo.body.error).toContain('"form"');
  });

  it("serves a snapshot's ruleset as text/plain iptables-save, or as JSON chains", async () => {
    const id = String(seed.clusterIpSnapshot["myk8s-control-plane"]);
    const text = await call(getRuleset, { cluster: "kind", node: "myk8s-control-plane", snapshotId: id });
    expect([text.status, text.type]).toEqual([200, "text/plain; charset=utf-8"]);
    const expected = seedDump("clusterip")
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .map((line) => line.replace(/^\[\d+:\d+\] /, "").replace(/ \[\d+:\d+\]$/, " [0:0]"))
      .join("\n");
    expect(text.body).toBe(expected);
    const json = await call(getRuleset, { cluster: "kind", node: "myk8s-control-plane", snapshotId: id }, "?format=json");
    expect(json.body.snapshot).toMatchObject({ id: Number(id), firstSeen: at(0), lastSeen: at(1) });
    expect(json.body.chains).toHaveLength(31);
  });

  it("reads a service port by its ~ segment or its percent-decoded name, and the time a node lagged", async () => {
    const bySegment = await call(getService, { cluster: "kind", servicePort: "default~svc-clusterip:svc-webport" }, `?at=${at(15)}`);
    expect(bySegment.status).toBe(200);
    expect(bySegment.body.agreement).toEqual({ agreeing: 3, nodes: 4 });
    // `default%2Fsvc-clusterip%3Asvc-webport` reaches the handler decoded.
    const byName = await call(getService, { cluster: "kind", servicePort: "default/svc-clusterip:svc-webport" });
    expect(byName.body).toMatchObject({ name: "default/svc-clusterip:svc-webport", agreement: { agreeing: 4, nodes: 4 } });
    const list = await call(getServices, { cluster: "kind" }, "?q=kube-dns&limit=2");
    expect([list.body.total, list.body.servicePorts.length]).toEqual([3, 2]);
    const changes = await call(getServiceChanges, { cluster: "kind", servicePort: "default~svc-clusterip:svc-webport" }, "?node=myk8s-worker3");
    expect(changes.body.changes.map((c: { kind: string; at: string }) => [c.kind, c.at])).toEqual([
      ["path-added", at(20)],
      ["path-added", at(20)],
    ]);
  });

  it("diffs worker2 and worker3 now with from=myk8s-worker2&to=myk8s-worker3, and with relative times", async () => {
    const now = await call(getDiff, { cluster: "kind" }, "?from=myk8s-worker2&to=myk8s-worker3");
    expect(now).toMatchObject({ status: 200, body: { identical: true, from: { node: "myk8s-worker2" }, to: { node: "myk8s-worker3" } } });
    const lagged = await call(getDiff, { cluster: "kind" }, `?from=myk8s-worker3@${at(15)}&to=myk8s-worker2@${at(15)}`);
    expect(lagged.body.services.map((s: { servicePort: string }) => s.servicePort)).toEqual(["default/svc-clusterip:svc-webport"]);
    // The history began a day ago: a week back there was nothing yet.
    expect(await call(getDiff, { cluster: "kind" }, "?from=myk8s-worker2@7d&to=myk8s-worker3")).toMatchObject({ status: 404, body: { detail: { snapshot: "myk8s-worker2" } } });
  });
});
