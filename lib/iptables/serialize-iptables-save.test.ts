import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CAPTURED_LISTING, CAPTURED_SAVE } from "./fixtures/iptables-1.8.9-capture";
import { parseIptablesSave, type ParseOptions } from "./parse-iptables-save";
import { serializeIptablesSave, serializeRule } from "./serialize-iptables-save";
import type { IptablesDump } from "./types";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/", import.meta.url));

function dumpOf(text: string, options?: ParseOptions): IptablesDump {
  const result = parseIptablesSave(text, options);
  if (!result.ok) throw new Error(`parse failed: ${JSON.stringify(result.error)}`);
  return result.dump;
}

describe("serializeIptablesSave", () => {
  it("writes a capture back byte for byte, with or without counters", () => {
    expect(serializeIptablesSave(dumpOf(CAPTURED_SAVE))).toBe(CAPTURED_SAVE);
    const stripped = serializeIptablesSave(dumpOf(CAPTURED_SAVE), { counters: false });
    expect(stripped).not.toMatch(/^\[/m);
    expect(stripped).toContain(":POSTROUTING ACCEPT [0:0]\n");
    expect(stripped).toContain('\n-A PREROUTING -m comment --comment "a \\"quoted\\" -> b:c; d" -j KUBE-SVC-X\n');
    // What remains is exactly the capture without its counters.
    expect(stripped).toBe(CAPTURED_SAVE.replace(/^\[\d+:\d+\] /gm, "").replace(/\[\d+:\d+\]$/gm, "[0:0]"));
  });

  it("writes a -S -v listing back with its inline counters where they were, or without them", () => {
    const dump = dumpOf(CAPTURED_LISTING, { defaultTable: "nat" });
    expect(serializeIptablesSave(dump)).toBe(CAPTURED_LISTING);
    expect(serializeIptablesSave(dump, { counters: false })).toBe(CAPTURED_LISTING.replace(/ -c \d+ \d+/g, ""));
  });

  it("writes a save dump as a listing and back with counters before the target, as iptables -S -v does", () => {
    const save = dumpOf(CAPTURED_SAVE);
    const asListing: IptablesDump = { ...save, format: "listing", comments: [] };
    expect(serializeIptablesSave(asListing)).toBe(CAPTURED_LISTING);
  });

  it("writes iptables-save's canonical order: declarations, then rules chain by chain, then deletions", () => {
    const text = "*nat\n:B - [0:0]\n-A B -j RETURN\n:A - [0:0]\n-X OLD\n-A A -j B\n-A B -j ACCEPT\nCOMMIT\n";
    const dump = dumpOf(text);
    expect(serializeIptablesSave(dump)).toBe(text);
    expect(serializeIptablesSave(dump, { order: "canonical" })).toBe(
      "*nat\n:B - [0:0]\n:A - [0:0]\n-A B -j RETURN\n-A B -j ACCEPT\n-A A -j B\n-X OLD\nCOMMIT\n",
    );
  });

  it("writes a hand-built dump without line numbers in canonical order, one block per table", () => {
    const dump: IptablesDump = {
      format: "save",
      family: "ipv4",
      tables: ["filter", "nat"].map((name) => ({
        name,
        line: 0,
        committed: true,
        deletedChains: [],
        chains: [
          {
            name: "KUBE-X",
            policy: null,
            counters: { packets: 0, bytes: 0 },
            declared: true,
            line: 0,
            rules: [
              {
                chain: "KUBE-X",
                text: "-j RETURN",
                counters: { packets: 1, bytes: 2 },
                line: 0,
                options: [],
                matchModules: [],
                target: "RETURN",
                goto: false,
              },
            ],
          },
        ],
      })),
    };
    const block = (name: string) => `*${name}\n:KUBE-X - [0:0]\n[1:2] -A KUBE-X -j RETURN\nCOMMIT\n`;
    expect(serializeIptablesSave(dump)).toBe(block("filter") + block("nat"));
  });

  it("writes one rule line in either notation", () => {
    const rule = dumpOf(CAPTURED_SAVE).tables[0]!.chains[0]!.rules[0]!;
    expect(serializeRule(rule, "save")).toBe('[5:6] -A PREROUTING -m comment --comment "a \\"quoted\\" -> b:c; d" -j KUBE-SVC-X');
    expect(serializeRule(rule, "listing")).toBe(
      '-A PREROUTING -m comment --comment "a \\"quoted\\" -> b:c; d" -c 5 6 -j KUBE-SVC-X',
    );
    expect(serializeRule(rule, "save", false)).toBe('-A PREROUTING -m comment --comment "a \\"quoted\\" -> b:c; d" -j KUBE-SVC-X');
  });

  it("round-trips a partial-sync restore input with its -X lines in place", () => {
    const text = readFileSync(`${CORPUS}iptables/015_TestSyncProxyRulesRepeated_09_full_resync_after_failure.txt`, "utf8");
    expect(serializeIptablesSave(dumpOf(text))).toBe(text);
  });
});
