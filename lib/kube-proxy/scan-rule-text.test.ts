/**
 * The model reads rule texts with its own scanner; these tests hold it to the tokenizer's reading of the same rules:
 * for every rule of the corpus (and spellings the corpus lacks), what the scanner finds equals what the tokenizer's
 * options say, option by option.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import type { RuleOption } from "../iptables/types";
import { scanRuleText, type ScannedRule } from "./scan-rule-text";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus");

/** What the options built by the tokenizer say, in the scanner's terms (the reference reading). */
function fromOptions(options: readonly RuleOption[]): ScannedRule {
  const facts: ScannedRule = {
    comment: null, protocol: null, destination: null, destinationNegated: false, dport: null, dstType: null,
    probabilityText: null, recentCheck: false, recentSeconds: null, toDestination: null, firstToDestination: null,
    hasToDestination: false, unconditional: true, negatedCondition: false, positiveCondition: false,
  };
  const digits = (text: string | null) => text !== null && /^[0-9]{1,9}$/.test(text);
  for (const option of options) {
    const arg = option.args[0] ?? null;
    const neutralOwner = ["comment", "target", "nfacct"].includes(option.owner);
    let condition = !neutralOwner;
    switch (option.name) {
      case "--comment": {
        const text = option.args.join(" ");
        facts.comment = facts.comment === null ? text : `${facts.comment} ${text}`;
        break;
      }
      case "-p":
      case "--protocol":
        if (arg !== null && !option.negated) facts.protocol = arg.toLowerCase();
        condition = false;
        break;
      case "-d":
      case "--destination":
      case "--dst":
        if (arg !== null) facts.destination = arg;
        facts.destinationNegated = option.negated;
        condition = false;
        break;
      case "--dport":
      case "--destination-port":
        if (!option.negated && digits(arg)) facts.dport = Number(arg);
        condition = false;
        break;
      case "--dst-type":
        facts.dstType = arg === null ? null : (option.negated ? "!" : "") + arg;
        facts.unconditional = false;
        condition = false;
        break;
      case "--probability":
        facts.probabilityText = arg;
        facts.unconditional = false;
        break;
      case "--rcheck":
        facts.recentCheck = true;
        facts.unconditional = false;
        break;
      case "--seconds":
        if (digits(arg)) facts.recentSeconds = Number(arg);
        facts.unconditional = false;
        break;
      case "--to-destination":
        if (option.owner === "target") {
          facts.toDestination = arg;
          if (!facts.hasToDestination) facts.firstToDestination = arg;
          facts.hasToDestination = true;
        }
        break;
      case "-m": case "--match": case "-j": case "--jump": case "-g": case "--goto": case "-c": case "--set-counters":
        condition = false;
        break;
      default:
        if (!neutralOwner) facts.unconditional = false;
    }
    if (condition && option.negated) facts.negatedCondition = true;
    else if (condition) facts.positiveCondition = true;
  }
  return facts;
}

function rulesOf(text: string, name: string) {
  const parsed = parseIptablesSave(text, { defaultTable: "nat" });
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error.reason} at line ${parsed.error.line}`);
  return parsed.dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
}

function expectSameReading(text: string, name: string): number {
  const rules = rulesOf(text, name);
  for (const rule of rules) {
    expect({ ...scanRuleText(rule.text) }, `${name}:${rule.line}: ${rule.text}`).toEqual(fromOptions(rule.options));
  }
  return rules.length;
}

describe("scanRuleText", () => {
  it("reads every corpus rule as the tokenizer does", () => {
    let rules = 0;
    for (const dir of ["iptables", "realworld"]) {
      for (const file of readdirSync(path.join(corpus, dir)).filter((f) => f.endsWith(".txt"))) {
        // Only the rule lines: the realworld excerpts hold shell prompts and several tables' listings.
        const lines = readFileSync(path.join(corpus, dir, file), "utf8").split("\n");
        const ruleLines = lines.filter((line) => /^(\[\d+:\d+\] )?-A \S/.test(line));
        rules += expectSameReading(`${ruleLines.join("\n")}\n`, `${dir}/${file}`);
      }
    }
    expect(rules).toBeGreaterThan(900);
  });

  it("reads spellings the corpus lacks as the tokenizer does", () => {
    const rules = [
      // Pre-1.4.3 negation after the option, long option names, a protocol as owner before any -m.
      "-A X -s ! 10.0.0.0/8 --destination ! 10.1.0.1/32 -p tcp --dport 80 -j KUBE-MARK-MASQ",
      "-A X --protocol UDP --destination-port 53 --dst 10.96.0.10 --jump KUBE-SVC-ERIFXISQEP7F7OF4",
      "-A X ! -p tcp -p udp -d 10.0.0.1 ! --dport 53 -j ACCEPT",
      // Quoted and escaped comments, several comment matches, a comment under another module.
      '-A X -m comment --comment "a \\"quoted\\" b" -m comment --comment second -j RETURN',
      "-A X -m comment --comment ns/svc:p health check node port -m foo --comment x -j ACCEPT",
      '-A X -m comment --comment "" -j RETURN',
      // Quotes around whole words, inside words, back to back, after an old-style `!`, around numbers and addresses.
      '-A X -m comment --comment "ns/svc:http cluster IP" -m tcp -p "tcp" -d "10.0.0.1/32" --dport "80" -j KUBE-SVC-Y',
      '-A X -m comment --comment ab"c d"e -j RETURN',
      '-A X -m comment --comment "a b""c d" -j RETURN',
      '-A X -m comment --comment "a b"c -j RETURN',
      '-A X -s ! "10.0.0.1" -m recent --rcheck --seconds "60" -j KUBE-SEP-A',
      '-A X -m comment --comment "a \\ b" -j RETURN',
      // Affinity, probabilities, address types, counted and marked traffic.
      "-A X -m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap -j KUBE-SEP-A",
      "-A X -m recent --rcheck --seconds ten -m statistic --mode random --probability 0.5 -j KUBE-SEP-B",
      "-A X -m addrtype ! --dst-type LOCAL -m nfacct --nfacct-name x -j KUBE-NODEPORTS",
      "-A X -m mark ! --mark 0x4000/0x4000 -j RETURN",
      "-A X -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j KUBE-SVC-Y",
      // DNAT with one, two or a quoted destination; a target option before the target.
      "-A X -p tcp -j DNAT --to-destination 10.0.0.1:80 --to-destination 10.0.0.2:80",
      '-A X -j DNAT --to-destination "[fd00::1]:80" --random',
      "-A X --to-destination 1.2.3.4:5 -j DNAT",
      "-A X -m tcp -j DNAT --to-destination",
      "-A X",
    ];
    expect(expectSameReading(`${rules.join("\n")}\n`, "spellings")).toBe(rules.length);
  });

  it("reads what the model needs of kube-proxy's rules", () => {
    const [rule] = rulesOf(
      '-A KUBE-SVC-X -m comment --comment "ns/svc:http cluster IP" -m tcp -p tcp -d 10.96.0.1/32 --dport 80 ! -s 10.128.0.0/14 -j KUBE-MARK-MASQ\n',
      "rule",
    );
    expect(scanRuleText(rule!.text)).toMatchObject({
      comment: "ns/svc:http cluster IP",
      protocol: "tcp",
      destination: "10.96.0.1/32",
      dport: 80,
      unconditional: false,
      negatedCondition: true,
      positiveCondition: false,
    });
  });
});
