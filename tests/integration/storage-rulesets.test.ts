import { readRulesetManifest } from "../../lib/server/captures/read-ruleset-manifest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/server/db";
import { providers, useTestDatabase } from "./support/databases";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** One manifest entry with its body, as ingest would derive it from a dump. */
interface ManifestEntry {
  table: string;
  chain: string;
  policy: string | null;
  text: string;
  digest: string;
}

/**
 * The manifest of an iptables-save text: every chain left after the input's `-X` deletions, its `-A` lines
 * (counters stripped) as body, sorted by (table, chain) in code-point order. Deliberately minimal — enough to store
 * corpus dumps the way the schema expects, not the product's parser.
 */
function manifestOf(dumpText: string): ManifestEntry[] {
  const chains = new Map<string, { table: string; chain: string; policy: string | null; lines: string[] }>();
  let table = "";
  for (const raw of dumpText.split("\n")) {
    const line = raw.replace(/^\[\d+:\d+\]\s+/, "");
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith(":")) {
      const [name = "", policy = "-"] = line.slice(1).split(" ");
      chains.set(`${table} ${name}`, { table, chain: name, policy: policy === "-" ? null : policy, lines: [] });
    } else if (line.startsWith("-A ")) chains.get(`${table} ${line.split(" ")[1]}`)?.lines.push(line);
    else if (line.startsWith("-X ")) chains.delete(`${table} ${line.slice(3).trim()}`);
  }
  return [...chains.values()]
    .map(({ table, chain, policy, lines }) => {
      const text = lines.join("\n");
      return { table, chain, policy, text, digest: sha256(`${table}\n${text}`) };
    })
    .sort((a, b) => (a.table + " " + a.chain < b.table + " " + b.chain ? -1 : 1));
}

const key = (entry: { table: string; chain: string }) => `${entry.table} ${entry.chain}`;
const rulesetDigestOf = (entries: ManifestEntry[]) =>
  sha256(["ipv4 iptables", ...entries.map((e) => `${key(e)} ${e.policy ?? "-"} ${e.digest}`)].join("\n"));

function dump(name: string): ManifestEntry[] {
  return manifestOf(readFileSync(path.join(corpus, "iptables", name), "utf8"));
}

/** Bodies not yet stored; a body shared by many nodes and rulesets is written once. */
async function storeBodies(db: Db, entries: ManifestEntry[]): Promise<number> {
  const digests = [...new Set(entries.map((e) => e.digest))];
  const known = new Set((await db.chainBody.findMany({ where: { digest: { in: digests } }, select: { digest: true } })).map((b) => b.digest));
  const fresh = entries.filter((e, i) => !known.has(e.digest) && entries.findIndex((o) => o.digest === e.digest) === i);
  await db.chainBody.createMany({
    data: fresh.map((e) => ({ digest: e.digest, table: e.table, text: e.text, ruleCount: e.text ? e.text.split("\n").length : 0 })),
  });
  return fresh.length;
}

/** Stores `entries` as a keyframe, or as a delta of `base` (rows only for what differs). Returns rows written. */
async function storeRuleset(db: Db, entries: ManifestEntry[], base?: { digest: string; entries: ManifestEntry[]; depth: number; deltaRows: number }) {
  await storeBodies(db, entries);
  const digest = rulesetDigestOf(entries);
  let rows = entries.map((e) => ({ table: e.table, chain: e.chain, policy: e.policy, chainDigest: e.digest as string | null }));
  if (base) {
    const before = new Map(base.entries.map((e) => [key(e), e]));
    const after = new Set(entries.map(key));
    rows = rows.filter((row) => {
      const old = before.get(key(row));
      return !old || old.digest !== row.chainDigest || old.policy !== row.policy;
    });
    for (const old of base.entries) {
      if (!after.has(key(old))) rows.push({ table: old.table, chain: old.chain, policy: old.policy, chainDigest: null });
    }
  }
  await db.ruleset.create({
    data: {
      digest, family: "ipv4", mode: "iptables", chainCount: entries.length,
      baseDigest: base?.digest ?? null, depth: base ? base.depth + 1 : 0, deltaRows: base ? base.deltaRows + rows.length : 0,
      chains: { create: rows },
    },
  });
  return { digest, rows: rows.length, depth: base ? base.depth + 1 : 0, deltaRows: base ? base.deltaRows + rows.length : 0, entries };
}

/** The manifest the ingest path reads back (delta encoding resolved), for comparison with what was stored. */
const readManifest = (db: Db, digest: string) => readRulesetManifest(db, digest);

const asManifest = (entries: ManifestEntry[]) => entries.map((e) => ({ table: e.table, chain: e.chain, policy: e.policy, digest: e.digest }));

describe.each(providers)("rulesets and captures on %s", (provider) => {
  const database = useTestDatabase(provider);

  it("stores a change of k chains as k manifest rows and rebuilds the full manifest in one query", async () => {
    const { db } = database();
    // kube-proxy's TestSyncProxyRulesRepeated: the first full sync, then the full resync after svc2 went away and
    // svc3 arrived with two endpoints.
    const initial = dump("007_TestSyncProxyRulesRepeated_01_initial_full.txt");
    const later = dump("015_TestSyncProxyRulesRepeated_09_full_resync_after_failure.txt");
    const keyframe = await storeRuleset(db, initial);
    expect(keyframe.rows).toBe(initial.length);

    const bodiesBefore = await db.chainBody.count();
    const delta = await storeRuleset(db, later, keyframe);
    // Changed: KUBE-SERVICES. Added: KUBE-SVC-X27L…, 2 × KUBE-SEP for svc3. Removed: svc2's SVC and SEP.
    expect(delta.rows).toBe(6);
    expect(await db.chainBody.count()).toBe(bodiesBefore + 4);
    expect(await db.rulesetChain.count({ where: { rulesetDigest: delta.digest } })).toBe(6);

    expect(await readManifest(db, keyframe.digest)).toEqual(asManifest(initial));
    expect(await readManifest(db, delta.digest)).toEqual(asManifest(later));
  });

  it("rebuilds a delta of a delta, where a later change undoes an earlier one", async () => {
    const { db } = database();
    const first = dump("006_TestOverallIPTablesRules.txt");
    const keyframe = await storeRuleset(db, first);
    // A pod restart: the endpoint moves, so its KUBE-SEP chain is replaced and the KUBE-SVC rule follows.
    const moved = first.map((e) =>
      e.chain === "KUBE-SEP-SXIVWICOYRO3J4NJ" || e.chain === "KUBE-SVC-XPGD46QRK7WJZT7O"
        ? { ...e, text: e.text.replaceAll("10.180.0.1", "10.180.0.9"), digest: sha256(`${e.table}\n${e.text.replaceAll("10.180.0.1", "10.180.0.9")}`) }
        : e,
    );
    const second = await storeRuleset(db, moved, keyframe);
    const back = await storeRuleset(db, first.filter((e) => e.chain !== "KUBE-SVC-NUKIZ6OKUXPJNT4C"), second);
    expect([second.rows, back.rows, back.depth, back.deltaRows]).toEqual([2, 3, 2, 5]);
    expect(await readManifest(db, second.digest)).toEqual(asManifest(moved));
    expect(await readManifest(db, back.digest)).toEqual(asManifest(first.filter((e) => e.chain !== "KUBE-SVC-NUKIZ6OKUXPJNT4C")));
  });

  it("records an unchanged capture as one small row and an update of the snapshot", async () => {
    const { db } = database();
    const ruleset = await storeRuleset(db, dump("102_legacy_TestInternalTrafficPolicyE2E_cluster.txt"));
    const at = new Date("2026-01-05T10:00:00.000Z");
    const cluster = await db.cluster.create({ data: { name: "kind" } });
    const node = await db.node.create({ data: { clusterId: cluster.id, name: "kind-worker", role: "worker", firstSeen: at, lastSeen: at } });
    const snapshot = await db.snapshot.create({
      data: { nodeId: node.id, rulesetDigest: ruleset.digest, backend: "iptables-nft", family: "ipv4", firstSeen: at, lastSeen: at },
    });

    const tablesBefore = await rowCounts(db);
    const bytesBefore = await storedBytes(db, provider);
    const captures = 500;
    for (let i = 1; i <= captures; i++) {
      const capturedAt = new Date(at.getTime() + i * 60_000);
      await db.$transaction([
        db.capture.create({ data: { nodeId: node.id, captureId: `0190c0de-0000-7000-8000-${String(i).padStart(12, "0")}`, family: "ipv4", capturedAt, snapshotId: snapshot.id } }),
        db.snapshot.update({ where: { id: snapshot.id }, data: { lastSeen: capturedAt, captureCount: { increment: 1 } } }),
      ]);
    }
    const tablesAfter = await rowCounts(db);
    const perCapture = ((await storedBytes(db, provider)) - bytesBefore) / captures;

    // Only Capture grows; rulesets, bodies and snapshots stay as they were.
    expect(tablesAfter).toEqual({ ...tablesBefore, capture: tablesBefore.capture + captures });
    expect(await db.snapshot.findUniqueOrThrow({ where: { id: snapshot.id } })).toMatchObject({
      captureCount: captures + 1,
      lastSeen: new Date(at.getTime() + captures * 60_000),
    });
    console.log(`${provider}: ${perCapture.toFixed(0)} bytes stored per unchanged capture (UUID capture ids, all indexes)`);
    expect(perCapture).toBeGreaterThan(0);
    expect(perCapture).toBeLessThan(400);
  });
});

async function rowCounts(db: Db) {
  return {
    chainBody: await db.chainBody.count(),
    ruleset: await db.ruleset.count(),
    rulesetChain: await db.rulesetChain.count(),
    snapshot: await db.snapshot.count(),
    capture: await db.capture.count(),
  };
}

/** Bytes the database uses for captures and snapshots, indexes included. */
async function storedBytes(db: Db, provider: string): Promise<number> {
  if (provider === "sqlite") {
    const [pages] = await db.$queryRawUnsafe<{ count: bigint }[]>("SELECT page_count AS count FROM pragma_page_count()");
    const [size] = await db.$queryRawUnsafe<{ size: bigint }[]>("SELECT page_size AS size FROM pragma_page_size()");
    return Number(pages?.count ?? 0) * Number(size?.size ?? 0);
  }
  // VACUUM-free measure: heap and index pages in use, dead snapshot versions included (autovacuum reclaims them).
  const [row] = await db.$queryRawUnsafe<{ bytes: bigint }[]>(
    `SELECT (pg_total_relation_size('"Capture"') + pg_total_relation_size('"Snapshot"'))::bigint AS bytes`,
  );
  return Number(row?.bytes ?? 0);
}
