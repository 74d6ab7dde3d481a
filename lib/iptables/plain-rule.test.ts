/**
 * The texts-only parse reads most rules in one pass of its own (plain-rule.ts); these tests hold it to the
 * general tokenizer: the same rules accepted, with the same targets, goto flags and family, and the same errors at
 * the same places, for every rule of the corpus and for spellings the corpus lacks.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "./parse-iptables-save";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus");

/** What a user sees of one rule line, parsed with or without option arrays. */
function reading(line: string, ruleOptions: boolean): unknown {
  const result = parseIptablesSave(`${line}\n`, { defaultTable: "nat", ruleOptions });
  if (!result.ok) return result.error;
  const rules = result.dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
  return { family: result.dump.family, rules: rules.map((r) => [r.chain, r.text, r.target, r.goto, r.counters, r.countersOffset]) };
}

function expectSameReading(lines: readonly string[]): void {
  for (const line of lines) expect(reading(line, false), line).toEqual(reading(line, true));
}

describe("the texts-only parse in one pass", () => {
  it("reads every corpus rule as the general tokenizer does", () => {
    const lines: string[] = [];
    for (const dir of ["iptables", "realworld"]) {
      for (const file of readdirSync(path.join(corpus, dir)).filter((f) => f.endsWith(".txt"))) {
        for (const line of readFileSync(path.join(corpus, dir, file), "utf8").split("\n")) {
          if (/^-A \S/.test(line)) lines.push(line);
        }
      }
    }
    expect(lines.length).toBeGreaterThan(900);
    expectSameReading(lines);
  });

  it("accepts, reads and refuses spellings the corpus lacks as the general tokenizer does", () => {
    expectSameReading([
      // Negation before and (pre-1.4.3) after the option, targets and gotos in both spellings, runs of blanks.
      "-A X ! -s 10.0.0.0/8 -d ! 10.1.0.1/32 -p tcp --dport ! 80 -j KUBE-MARK-MASQ",
      "-A X -m addrtype ! --dst-type LOCAL -g KUBE-NODEPORTS",
      "-A X   -p   udp  --jump   KUBE-SVC-ERIFXISQEP7F7OF4  ",
      "-A X --goto KUBE-FW-NUKIZ6OKUXPJNT4C",
      "-A X -m statistic --mode random --probability 0.5 -j KUBE-SEP-A",
      "-A X --match mark ! --mark 0x4000/0x4000 -j RETURN",
      "-A X",
      "-A X -m tcp --sport -1 -j ACCEPT",
      // Family: IPv6 addresses in -s/-d and NAT destinations, IPv4 ones, other options with colons or brackets.
      "-A X -s fd00::/8 -j RETURN",
      "-A X --destination ::1/128 -j RETURN",
      "-A X -p tcp -j DNAT --to-destination [fd00::1]:80",
      "-A X -j SNAT --to-source 10.0.0.1 --to [fd00::2]",
      "-A X -j DNAT --to-destination 10.0.0.1:80",
      "-A X -m comment --comment a:b [c] -j ACCEPT",
      // Inline counters, cut out of the text.
      "-A X -c 10 600 -j ACCEPT",
      "-A X -j ACCEPT -c 1 2",
      // Quotes around whole words, inside words, back to back, escaped, unclosed; a quoted target and NAT address.
      '-A X -m comment --comment "ns/svc:http cluster IP" -m tcp -p tcp -d 10.0.0.1 --dport 80 -j KUBE-SVC-Y',
      '-A X -m comment --comment ab"c d"e -j RETURN',
      '-A X -m comment --comment "a b""c d" -j RETURN',
      '-A X -m comment --comment "a b"c -j RETURN',
      '-A X -m comment --comment "a \\"b\\" c" -j RETURN',
      '-A X -s ! "fd00::1" -j "KUBE-SEP-A"',
      '-A X -j DNAT --to-destination "[fd00::1]:80"',
      '-A X -m comment --comment "" -j RETURN',
      '-A X "quoted" -j RETURN',
      '-A X ! "-s" 10.0.0.1 -j RETURN',
      '-A X -m comment --comment "cut -j RETURN',
      // Refused: the same reason at the same column.
      "-A X ! ! -s 10.0.0.1 -j ACCEPT",
      "-A X ! -s ! 10.0.0.1 -j ACCEPT",
      "-A X -s 10.0.0.1 !",
      "-A X ! 10.0.0.1 -j ACCEPT",
      "-A X 10.0.0.1 -j ACCEPT",
      "-A X -j A -j B",
      "-A X ! -j A",
      "-A X -j",
      "-A X -j A B",
      "-A X -m",
      "-A X -m a b -j C",
      "-A X -c 1 -j ACCEPT",
      "-A X -j ACCEPT -c 1 two",
      "-A X -c 1 2 -c 3 4",
      "-A X - -j ACCEPT",
    ]);
  });
});
