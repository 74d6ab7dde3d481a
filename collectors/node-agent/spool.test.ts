import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { openSpool, type SpoolEntry } from "./spool";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-spool-test-"));
  dirs.push(dir);
  return dir;
}

/** A capture carrying `chains` changed chain bodies of kube-proxy-like text, as a spooled outage capture does. */
function entry(id: string, chains: number): SpoolEntry {
  const bodies: Record<string, string> = {};
  for (let i = 0; i < chains; i++) {
    bodies[`${id}-${i}`.padEnd(64, "0")] = Array.from(
      { length: 5 },
      (_, r) => `-A KUBE-SEP-${id.toUpperCase()}${i} -p tcp -m comment --comment "team/app-${i}:http" -m tcp -j DNAT --to-destination 10.128.${r}.${i % 250}:8080`,
    ).join("\n");
  }
  return { upload: { captureId: id, cluster: "kind", node: "worker", capturedAt: "2026-01-05T10:00:00Z", backend: "iptables-nft", rulesetDigest: "f".repeat(64) }, bodies };
}

describe("spool", () => {
  it("stores captures gzip'd, a fraction of their JSON size, and reads them back", async () => {
    const dir = await scratch();
    const spool = await openSpool(dir, { maxFiles: 10, maxBytes: 10_000_000 });
    const written = entry("one", 2_000);
    await spool.append(written);
    const [file] = spool.files();
    expect(file!.name).toMatch(/^000000000001-one\.json\.gz$/);
    const onDisk = await readFile(path.join(dir, file!.name));
    expect(onDisk.length).toBe(file!.bytes);
    expect(onDisk.length).toBeLessThan(JSON.stringify(written).length / 5);
    expect(JSON.parse(gunzipSync(onDisk).toString("utf8"))).toEqual(written);
    expect(await spool.read(file!)).toEqual(written);
  });

  it("is bounded by its compressed bytes: the oldest captures go first, and the drop count survives a restart", async () => {
    const dir = await scratch();
    const size = (await (async () => {
      const probe = await openSpool(await scratch(), { maxFiles: 10, maxBytes: 10_000_000 });
      await probe.append(entry("probe", 500));
      return probe.depth().bytes;
    })());
    const spool = await openSpool(dir, { maxFiles: 100, maxBytes: Math.floor(size * 3.5) });
    const dropped: number[] = [];
    for (const id of ["a", "b", "c", "d", "e"]) dropped.push(await spool.append(entry(id, 500)));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(spool.files().map((f) => f.name.slice(13, -8))).toEqual(["c", "d", "e"]);
    expect(spool.depth().bytes).toBeLessThanOrEqual(Math.floor(size * 3.5));
    expect(spool.dropped()).toBe(2);

    const reopened = await openSpool(dir, { maxFiles: 100, maxBytes: Math.floor(size * 3.5) });
    expect(reopened.dropped()).toBe(2);
    expect(reopened.files().map((f) => f.name)).toEqual(spool.files().map((f) => f.name));
    await reopened.reportDropped(2);
    expect((await openSpool(dir, { maxFiles: 100, maxBytes: 10_000_000 })).dropped()).toBe(0);
  });

  it("replays the plain JSON files an earlier version left, in order with the new ones", async () => {
    const dir = await scratch();
    const old = entry("old", 3);
    await writeFile(path.join(dir, "000000000007-old.json"), JSON.stringify(old));
    const spool = await openSpool(dir, { maxFiles: 10, maxBytes: 10_000_000 });
    await spool.append(entry("new", 3));
    expect(await readdir(dir)).toContain("000000000008-new.json.gz");
    const [first, second] = spool.files();
    expect(await spool.read(first!)).toEqual(old);
    expect((await spool.read(second!))?.upload.captureId).toBe("new");
  });
});
