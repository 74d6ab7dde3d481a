import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { captureRequestSchema } from "../contracts/capture";
import { chainManifest, rulesetDigest } from "../iptables/chain-digest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { readProxyModel } from "../kube-proxy/read-proxy-model";
import type { ProxyModel } from "../kube-proxy/types";
import { buildIptablesCapture, buildNftCapture, changedCounters, unchangedCaptureUpload, withChainBodies } from "./build-capture-upload";
import { rebuildNftListing } from "./nft-ruleset-text";
import { bodyDigest, checkChainBody, rebuildIptablesSave } from "./ruleset-text";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../shared/corpus");
const read = (...parts: string[]) => readFileSync(path.join(...parts), "utf8");
const meta = { captureId: "test-capture-1", cluster: "kind", node: "kind-worker", capturedAt: "2026-01-05T10:00:00Z", backend: "iptables-nft" as const };

/** Whole save dumps of the corpus (007–015 are partial restore inputs, 017 is not a dump). */
const wholeDumps = ["001", "002", "003", "004", "005", "006", "016", ...Array.from({ length: 20 }, (_, i) => String(101 + i))].map(
  (n) => readdirName(n),
);
function readdirName(number: string): string {
  const name = readdirSync(path.join(corpus, "iptables")).find((f) => f.startsWith(`${number}_`) && f.endsWith(".txt"));
  if (!name) throw new Error(`corpus dump ${number} missing`);
  return name;
}

/**
 * A model without what differs between a capture and its rebuilt text: counters, input line numbers, and the order
 * of no-endpoint verdicts (it follows chain order, and the rebuilt text lists chains sorted; the service diff
 * compares verdicts as a set).
 */
function comparable(model: ProxyModel): unknown {
  const plain = JSON.parse(JSON.stringify(model, (key, value) => (key === "packets" || key === "bytes" || key === "line" ? undefined : value))) as ProxyModel;
  for (const port of plain.servicePorts) port.noEndpoints.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return plain;
}

describe("buildIptablesCapture", () => {
  it.each(wholeDumps)("%s: manifest and digests are lib/iptables', and the rebuilt text models the same services", (file) => {
    const text = read(corpus, "iptables", file);
    const built = buildIptablesCapture(text, meta);
    if (!built.ok) throw new Error(JSON.stringify(built.error));
    const { upload, bodiesByDigest } = built.capture;
    const parsed = parseIptablesSave(text);
    if (!parsed.ok) throw new Error("corpus dump does not parse");
    expect(upload.manifest!.map(({ table, chain, digest }) => ({ table, chain, digest }))).toEqual(chainManifest(parsed.dump));
    expect(upload.rulesetDigest).toBe(rulesetDigest(chainManifest(parsed.dump)));
    for (const [digest, body] of bodiesByDigest) expect(bodyDigest(body)).toBe(digest);
    expect(captureRequestSchema.safeParse(upload).success).toBe(true);

    const rebuilt = rebuildIptablesSave(upload.manifest!, (d) => bodiesByDigest.get(d)!);
    const before = readProxyModel(text);
    const after = readProxyModel(rebuilt);
    if (!before.ok || !after.ok) throw new Error("model failed");
    expect(comparable(after.model)).toEqual(comparable(before.model));
  });

  it("carries the seed's non-zero counters by chain digest and rule position", () => {
    const text = read(here, "../../tests/fixtures/seed/clusterip.iptables-save.txt");
    const built = buildIptablesCapture(text, meta);
    if (!built.ok) throw new Error(JSON.stringify(built.error));
    const svc = built.capture.upload.manifest!.find((e) => e.chain === "KUBE-SVC-KBDEBIL6IU6WL7RF")!;
    const counts = built.capture.upload.counters!.filter((c) => c.chainDigest === svc.digest).map((c) => [c.rule, c.packets]);
    // The study note's 100 curls: 35 / 33 / 32 new connections on the three balancing rules (rule 0 never matched).
    expect(counts).toEqual([
      [1, 35],
      [2, 33],
      [3, 32],
    ]);
  });

  it("gives the parser's line for bad input", () => {
    const built = buildIptablesCapture('*nat\n:KUBE-X - [0:0]\n-A KUBE-X -m comment --comment "open\nCOMMIT\n', meta);
    expect(built).toMatchObject({ ok: false, error: { line: 3, reason: "unterminated quote" } });
  });

  it("shrinks an unchanged capture to its ruleset digest, well under 1 KB", () => {
    const built = buildIptablesCapture(read(corpus, "iptables", readdirName("006")), meta);
    if (!built.ok) throw new Error("parse");
    const small = unchangedCaptureUpload({ ...built.capture.upload, counters: [] });
    expect(small.manifest).toBeUndefined();
    expect(small.rulesetDigest).toBe(built.capture.upload.rulesetDigest);
    expect(JSON.stringify(small).length).toBeLessThan(400);
    expect(captureRequestSchema.safeParse(small).success).toBe(true);
  });

  it("adds only the bodies asked for, and refuses a digest the capture does not have", () => {
    const built = buildIptablesCapture(read(corpus, "iptables", readdirName("006")), meta);
    if (!built.ok) throw new Error("parse");
    const [first] = built.capture.bodiesByDigest.keys();
    expect(withChainBodies(built.capture.upload, built.capture.bodiesByDigest, [first!, first!]).chains).toEqual([
      { digest: first, body: built.capture.bodiesByDigest.get(first!) },
    ]);
    expect(() => withChainBodies(built.capture.upload, built.capture.bodiesByDigest, ["0".repeat(64)])).toThrow(/does not have/);
  });

  it("sends only counters that changed since the previous upload", () => {
    const a = { chainDigest: "a".repeat(64), rule: 1, packets: 5, bytes: 300 };
    const b = { chainDigest: "b".repeat(64), rule: 0, packets: 1, bytes: 60 };
    expect(changedCounters([a, { ...b, packets: 2, bytes: 120 }], [a, b])).toEqual([{ ...b, packets: 2, bytes: 120 }]);
  });
});

describe("checkChainBody", () => {
  const entry = { table: "nat", chain: "KUBE-SEP-TBW2IYJKUCAC7GB3", policy: null };
  it("names the line of a rule of another chain, a missing policy and bad rule text", () => {
    expect(checkChainBody("-A KUBE-SEP-TBW2IYJKUCAC7GB3 -j KUBE-MARK-MASQ\n-A KUBE-SVC-X -j ACCEPT", entry)).toMatchObject({
      line: 2,
      reason: "line belongs to chain KUBE-SVC-X, not KUBE-SEP-TBW2IYJKUCAC7GB3",
    });
    expect(checkChainBody("-A PREROUTING -j KUBE-SERVICES", { table: "nat", chain: "PREROUTING", policy: "ACCEPT" })).toMatchObject({
      line: 1,
      reason: "the body says policy none, the manifest ACCEPT",
    });
    expect(checkChainBody('-A KUBE-SEP-TBW2IYJKUCAC7GB3 -j KUBE-MARK-MASQ\n-A KUBE-SEP-TBW2IYJKUCAC7GB3 -m comment --comment "x', entry)).toMatchObject({
      line: 2,
      reason: "unterminated quote",
    });
    expect(checkChainBody("-P PREROUTING ACCEPT\n-A PREROUTING -j KUBE-SERVICES", { table: "nat", chain: "PREROUTING", policy: "ACCEPT" })).toBeNull();
  });
});

describe("buildNftCapture", () => {
  const fixtures = path.resolve(here, "../nftables/fixtures");
  it.each(["001-listing.nft", "001-listing-counters.nft", "001-listing-handles.nft", "ruleset-with-iptables-nft.nft"])(
    "%s: one entry per table object, and the rebuilt listing models the same services",
    (file) => {
      const text = read(fixtures, file);
      const built = buildNftCapture(text, { ...meta, backend: "nftables" });
      if (!built.ok) throw new Error(JSON.stringify(built.error));
      const { upload, bodiesByDigest } = built.capture;
      expect(upload.manifest!.some((e) => e.table === "ip kube-proxy" && e.chain === "chain services")).toBe(true);
      expect(captureRequestSchema.safeParse(upload).success).toBe(true);
      const before = readProxyModel(text);
      const after = readProxyModel(rebuildNftListing(upload.manifest!, (d) => bodiesByDigest.get(d)!));
      if (!before.ok || !after.ok) throw new Error("model failed");
      expect(comparable(after.model)).toEqual(comparable(before.model));
    },
  );

  it("digests a listing the same with and without handles and counters", () => {
    const plain = buildNftCapture(read(fixtures, "001-listing.nft"), { ...meta, backend: "nftables" });
    const handles = buildNftCapture(read(fixtures, "001-listing-handles.nft"), { ...meta, backend: "nftables" });
    if (!plain.ok || !handles.ok) throw new Error("parse");
    expect(handles.capture.upload.rulesetDigest).toBe(plain.capture.upload.rulesetDigest);
  });

  it("refuses an nft -f script: it is not a state", () => {
    const script = read(corpus, "nftables", "001_TestOverallNFTablesRules.nft");
    expect(buildNftCapture(script, { ...meta, backend: "nftables" })).toMatchObject({ ok: false });
  });
});
