import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chainDigest, chainManifest, normalizedChainBody, rulesetDigest } from "./chain-digest";
import { CAPTURED_LISTING, CAPTURED_SAVE } from "./fixtures/iptables-1.8.9-capture";
import { parseIptablesSave, type ParseOptions } from "./parse-iptables-save";
import type { Chain, IptablesDump } from "./types";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/", import.meta.url));

function dumpOf(text: string, options?: ParseOptions): IptablesDump {
  const result = parseIptablesSave(text, options);
  if (!result.ok) throw new Error(`parse failed: ${JSON.stringify(result.error)}`);
  return result.dump;
}

function natChain(dump: IptablesDump, name: string): Chain {
  const found = dump.tables.find((t) => t.name === "nat")?.chains.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no chain ${name}`);
  return found;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("normalized chain bodies and digests", () => {
  it("writes -A lines without counters, preceded by the policy of a built-in chain", () => {
    const dump = dumpOf(CAPTURED_SAVE);
    expect(normalizedChainBody(natChain(dump, "KUBE-SVC-X"))).toBe(
      "-A KUBE-SVC-X -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-Y\n" +
        '-A KUBE-SVC-X -m comment --comment "" -g KUBE-SEP-Y',
    );
    expect(normalizedChainBody(natChain(dump, "POSTROUTING"))).toBe("-P POSTROUTING ACCEPT\n-A POSTROUTING -j KUBE-POST");
    expect(normalizedChainBody(natChain(dump, "INPUT"))).toBe("-P INPUT ACCEPT");
    expect(chainDigest(natChain(dump, "KUBE-SVC-X"))).toBe(sha256(normalizedChainBody(natChain(dump, "KUBE-SVC-X"))));
  });

  it("gives an empty user chain the digest of the empty body", () => {
    const dump = dumpOf("*nat\n:KUBE-EMPTY - [0:0]\nCOMMIT\n");
    expect(chainDigest(natChain(dump, "KUBE-EMPTY"))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("does not change when only counters change, and does when a policy or the rule order changes", () => {
    const base = "*nat\n:OUTPUT ACCEPT [1:2]\n:KUBE-S - [0:0]\n[3:4] -A KUBE-S -j A\n[5:6] -A KUBE-S -j B\nCOMMIT\n";
    const busier = base.replace("[1:2]", "[900:9000]").replace("[3:4]", "[77:7700]");
    const dropping = base.replace("OUTPUT ACCEPT", "OUTPUT DROP");
    const swapped = base.replace("-j A\n[5:6] -A KUBE-S -j B", "-j B\n[5:6] -A KUBE-S -j A");
    const digests = (text: string) => chainManifest(dumpOf(text)).map((e) => e.digest);
    expect(digests(busier)).toEqual(digests(base));
    expect(digests(dropping)[1]).not.toBe(digests(base)[1]);
    expect(digests(dropping)[0]).toBe(digests(base)[0]);
    expect(digests(swapped)[0]).not.toBe(digests(base)[0]);
  });

  it("digests an iptables-save -c dump and an iptables -S -v listing of the same ruleset alike", () => {
    const save = chainManifest(dumpOf(CAPTURED_SAVE));
    const listing = chainManifest(dumpOf(CAPTURED_LISTING, { defaultTable: "nat" }));
    expect(listing).toEqual(save);
    expect(rulesetDigest(listing)).toBe(rulesetDigest(save));
  });

  it("lists every chain sorted by table then chain, and digests the ruleset independently of entry order", () => {
    const dump = dumpOf(readFileSync(`${CORPUS}iptables/006_TestOverallIPTablesRules.txt`, "utf8"));
    const manifest = chainManifest(dump);
    const count = dump.tables.reduce((n, t) => n + t.chains.length, 0);
    expect(manifest).toHaveLength(count);
    const keys = manifest.map((e) => `${e.table} ${e.chain}`);
    expect(keys).toEqual([...keys].sort());
    expect(manifest.every((e) => /^[0-9a-f]{64}$/.test(e.digest))).toBe(true);
    expect(rulesetDigest([...manifest].reverse())).toBe(rulesetDigest(manifest));
    expect(rulesetDigest(manifest)).toBe(sha256(manifest.map((e) => `${e.table} ${e.chain} ${e.digest}\n`).join("")));
    expect(rulesetDigest(manifest.slice(1))).not.toBe(rulesetDigest(manifest));
  });

  it("sees what a partial sync changed: adding an endpoint (012 → 013) rewrites KUBE-SVC-X27LE4BHSL4DOUIK only", () => {
    const read = (name: string) => chainManifest(dumpOf(readFileSync(`${CORPUS}iptables/${name}`, "utf8")));
    const before = read("012_TestSyncProxyRulesRepeated_06_partial_svc3_endpoint_changed.txt");
    const after = read("013_TestSyncProxyRulesRepeated_07_partial_svc3_endpoint_added.txt");
    const digestOf = (manifest: typeof before, chain: string) => {
      const digest = manifest.find((e) => e.table === "nat" && e.chain === chain)?.digest;
      if (digest === undefined) throw new Error(`no nat chain ${chain}`);
      return digest;
    };
    expect(digestOf(after, "KUBE-SVC-X27LE4BHSL4DOUIK")).not.toBe(digestOf(before, "KUBE-SVC-X27LE4BHSL4DOUIK"));
    expect(digestOf(after, "KUBE-MARK-MASQ")).toBe(digestOf(before, "KUBE-MARK-MASQ"));
    expect(digestOf(after, "KUBE-POSTROUTING")).toBe(digestOf(before, "KUBE-POSTROUTING"));
  });
});
