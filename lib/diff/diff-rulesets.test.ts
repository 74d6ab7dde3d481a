import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { chainDigest, normalizedChainBody } from "../iptables/chain-digest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { diffRulesets } from "./diff-rulesets";
import type { ChainText } from "./types";

const seedDir = resolve(__dirname, "../../tests/fixtures/seed");

function chainsOf(text: string): ChainText[] {
  const parsed = parseIptablesSave(text);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.dump.tables.flatMap((table) =>
    table.chains.map((chain) => {
      const body = normalizedChainBody(chain);
      return { table: table.name, chain: chain.name, digest: chainDigest(chain), rules: body === "" ? [] : body.split("\n") };
    }),
  );
}

const seed = (name: string) => readFileSync(resolve(seedDir, name), "utf8");

describe("diffRulesets", () => {
  it("ClusterIP → NodePort: KUBE-EXT appears and KUBE-NODEPORTS gains the 30007 rules", () => {
    const diff = diffRulesets(chainsOf(seed("clusterip.iptables-save.txt")), chainsOf(seed("nodeport.iptables-save.txt")));
    expect(diff.added.map((c) => c.chain)).toEqual(["KUBE-EXT-KBDEBIL6IU6WL7RF"]);
    expect(diff.removed).toEqual([]);
    const nodePorts = diff.changed.find((c) => c.chain === "KUBE-NODEPORTS")!;
    expect(nodePorts.added).toBe(2);
    expect(nodePorts.removed).toBe(0);
    expect(nodePorts.edits.filter((e) => e.op === "add").every((e) => e.text.includes("--dport 30007"))).toBe(true);
    expect(diff.unchanged).toBeGreaterThan(10);
  });

  it("counters alone change nothing", () => {
    const text = seed("clusterip.iptables-save.txt");
    const diff = diffRulesets(chainsOf(text), chainsOf(text.replace(/\[\d+:\d+\]/g, "[7:700]")));
    expect(diff).toMatchObject({ added: [], removed: [], changed: [] });
  });

  it("a pod restart: the old KUBE-SEP chain removed, a new one added, the KUBE-SVC jump rewritten", () => {
    const before = seed("clusterip.iptables-save.txt");
    const after = before.replaceAll("KUBE-SEP-DOIEFYKPESCDTYCH", "KUBE-SEP-NEWPODCHAIN00000").replaceAll("10.10.2.2", "10.10.2.5");
    const diff = diffRulesets(chainsOf(before), chainsOf(after));
    expect(diff.removed.map((c) => c.chain)).toEqual(["KUBE-SEP-DOIEFYKPESCDTYCH"]);
    expect(diff.added.map((c) => c.chain)).toEqual(["KUBE-SEP-NEWPODCHAIN00000"]);
    const svc = diff.changed.find((c) => c.chain === "KUBE-SVC-KBDEBIL6IU6WL7RF")!;
    expect(svc.edits.filter((e) => e.op !== "keep").map((e) => [e.op, e.text.match(/-> (\S+?)"/)?.[1]])).toEqual([
      ["remove", "10.10.2.2:80"],
      ["add", "10.10.2.5:80"],
    ]);
  });
});
