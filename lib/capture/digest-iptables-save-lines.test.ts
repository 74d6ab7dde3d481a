import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateKubeProxyDump } from "../../bench/generate-nat-dump";
import { rulesetDigest } from "../iptables/chain-digest";
import { buildIptablesCapture, compareManifestEntries } from "./build-capture-upload";
import { createDumpDigester } from "./digest-iptables-save-lines";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusDir = path.resolve(here, "../../../shared/corpus/iptables");
const meta = { captureId: "c", cluster: "kind", node: "kind-worker", capturedAt: "2026-01-05T10:00:00Z", backend: "iptables-nft" as const };

/** Whole save dumps of the corpus (007–015 are partial restore inputs, 017 is not a dump). */
const wholeDumps = ["001", "002", "003", "004", "005", "006", "016", ...Array.from({ length: 20 }, (_, i) => String(101 + i))].map((n) => {
  const name = readdirSync(corpusDir).find((f) => f.startsWith(`${n}_`) && f.endsWith(".txt"));
  if (!name) throw new Error(`corpus dump ${n} missing`);
  return name;
});

/**
 * The dump as the kernel prints it: each chain's rules together (iptables-save walks chain by chain). Restore
 * inputs such as kube-proxy's may interleave chains; grouping keeps each chain's rule order, so the ruleset is the same.
 */
function asSaved(text: string): string {
  const out: string[] = [];
  let rules = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const chain = /^(?:\[\d+:\d+\] )?-A (\S+)/.exec(line)?.[1];
    if (chain !== undefined) rules.set(chain, [...(rules.get(chain) ?? []), line]);
    else if (line === "COMMIT") {
      out.push(...[...rules.values()].flat(), line);
      rules = new Map();
    } else out.push(line);
  }
  return out.join("\n");
}

function digestLines(text: string, family: "ipv4" | "ipv6", keepBody: (digest: string) => boolean = () => true) {
  const digester = createDumpDigester({ family, keepBody });
  for (const line of text.split("\n")) digester.line(line);
  return digester.finish();
}

/** The streamed digest must match the whole-dump build exactly: the server cannot tell which one the agent ran. */
function expectSameAsWholeParse(text: string, family: "ipv4" | "ipv6") {
  const whole = buildIptablesCapture(text, { ...meta, family });
  if (!whole.ok) throw new Error(`dump does not parse: ${whole.error.reason}`);
  const streamed = digestLines(asSaved(text), family);
  if (!streamed.ok) throw new Error(`streamed digest failed: ${streamed.error.reason} (line ${streamed.error.line})`);
  const manifest = [...streamed.digested.manifest].sort(compareManifestEntries);
  expect(manifest).toEqual(whole.capture.upload.manifest);
  expect(rulesetDigest(manifest)).toBe(whole.capture.upload.rulesetDigest);
  expect(new Map([...streamed.digested.bodiesByDigest].sort())).toEqual(new Map([...whole.capture.bodiesByDigest].sort()));
  const key = (c: { chainDigest: string; rule: number }) => `${c.chainDigest}/${c.rule}`;
  const sortCounters = <T extends { chainDigest: string; rule: number }>(list: readonly T[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
  expect(sortCounters(streamed.digested.counters)).toEqual(sortCounters(whole.capture.upload.counters ?? []));
}

describe("createDumpDigester", () => {
  it.each(wholeDumps)("digests %s exactly as the whole-dump build does", (name) => {
    const text = readFileSync(path.join(corpusDir, name), "utf8");
    expectSameAsWholeParse(text, /ip6|ipv6/i.test(name) ? "ipv6" : "ipv4");
  });

  it("digests a 600-service kube-proxy dump with counters as the whole-dump build does", () => {
    const dump = generateKubeProxyDump({ services: 600 });
    let n = 0;
    const counted = dump
      .split("\n")
      .map((line) => (line.startsWith("-A ") ? `[${n % 3}:${(n++ % 3) * 60}] ${line}` : line))
      .join("\n");
    expectSameAsWholeParse(counted, "ipv4");
  });

  it("keeps only the bodies asked for", () => {
    const text = asSaved(readFileSync(path.join(corpusDir, wholeDumps[0]!), "utf8"));
    const all = digestLines(text, "ipv4");
    if (!all.ok) throw new Error("corpus dump does not digest");
    const [first] = all.digested.bodiesByDigest.keys();
    const some = digestLines(text, "ipv4", (digest) => digest === first);
    if (!some.ok) throw new Error("corpus dump does not digest");
    expect([...some.digested.bodiesByDigest.keys()]).toEqual([first]);
    expect(some.digested.manifest).toEqual(all.digested.manifest);
  });

  it("refuses a truncated dump and a garbled line with the line number of the whole dump", () => {
    const truncated = digestLines("*nat\n:PREROUTING ACCEPT [0:0]\n[0:0] -A PREROUTING -j ACCEPT\n", "ipv4");
    expect(truncated.ok).toBe(false);
    if (!truncated.ok) expect(truncated.error.reason).toMatch(/truncated/);
    const cut = digestLines("# header\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-X - [0:0]\n[3:180] -A PREROUTING -j KUBE-X\n[0:0] -\n", "ipv4");
    expect(cut.ok).toBe(false);
    if (!cut.ok) expect(cut.error.line).toBe(6);
  });

  it("refuses rules of one chain printed apart", () => {
    const result = digestLines("*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j RETURN\n-A B -j RETURN\n-A A -j ACCEPT\nCOMMIT\n", "ipv4");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.line).toBe(6);
  });

  it("tells which chains a table declares", () => {
    const result = digestLines("*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "ipv4");
    if (!result.ok) throw new Error(result.error.reason);
    expect(result.digested.hasChain("nat", "KUBE-SERVICES")).toBe(true);
    expect(result.digested.hasChain("filter", "KUBE-SERVICES")).toBe(false);
    expect(result.digested.tables).toEqual(["nat", "filter"]);
    expect(result.digested.hasRules).toBe(false);
  });
});
