/**
 * A balancing chain's rungs and its endpoints' DNAT rules are read without a full scan when they are written as
 * kube-proxy writes them. These tests hold that reading to the scanner's, spelling by spelling: whatever the rung or
 * DNAT rule looks like, the ladder says what scanRuleText says of the same text.
 */
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { readBalancingChain } from "./balancing";
import { scanRuleText } from "./scan-rule-text";
import { indexTable } from "./table-index";

const SVC = "KUBE-SVC-AAAAAAAAAAAAAAAA";
const SEP = "KUBE-SEP-BBBBBBBBBBBBBBBB";

/** The ladder of a one-endpoint service whose rung and DNAT rule are written as given. */
function ladder(rung: string, dnat: string) {
  const text = ["*nat", `:${SVC} - [0:0]`, `:${SEP} - [0:0]`, `-A ${SVC} ${rung}`, `-A ${SEP} ${dnat}`, "COMMIT", ""].join("\n");
  const parsed = parseIptablesSave(text, { ruleOptions: false });
  if (!parsed.ok) throw new Error(`${parsed.error.reason}: ${parsed.error.text}`);
  return readBalancingChain(indexTable(parsed.dump.tables[0]!), SVC);
}

/** What the scanner reads of the same texts: the rung's probability and comment, the DNAT rule's destination. */
function scanned(rung: string, dnat: string) {
  const { probabilityText, comment } = scanRuleText(rung);
  const { firstToDestination, hasToDestination } = scanRuleText(dnat);
  return { probabilityText, comment, destination: hasToDestination ? firstToDestination : null };
}

const RUNGS = [
  `-m statistic --mode random --probability 0.5000000000 -j ${SEP}`,
  `-j ${SEP}`,
  `-m comment --comment "ns/svc:http -> 10.0.0.1:80" -m statistic --mode random --probability 0.33333333349 -j ${SEP}`,
  `-m comment --comment ns/svc:http -j ${SEP}`,
  `-m comment --comment ns/svc:http -> 10.0.0.1:80 -j ${SEP}`,
  `-m comment --comment "ns/svc:http" -m statistic --mode random --probability 0.25 -j ${SEP}`,
  `-m comment --comment "a"b -j ${SEP}`,
  `-m statistic --mode random --probability 0.5  -j ${SEP}`,
  `-m statistic --mode random --probability 1e-1 -j ${SEP}`,
  `-m statistic --mode random --probability 0.2 --probability 0.4 -j ${SEP}`,
  `-m statistic --mode random --probability "0.5" -j ${SEP}`,
  `-m comment --comment "x \\" y" -m statistic --mode random --probability 0.5 -j ${SEP}`,
  `-m statistic --mode random --probability 0.5 -m comment --comment "a" -j ${SEP}`,
  `-m comment --comment -x -j ${SEP}`,
];

const DNATS = [
  "-m tcp -p tcp -j DNAT --to-destination 10.0.0.1:80",
  '-m comment --comment "ns/svc:http" -m tcp -p tcp -j DNAT --to-destination 10.0.0.1:80',
  "-p tcp -m tcp -j DNAT --to-destination [fd00::1]:80 --random",
  "-m tcp -p tcp -j DNAT --to-destination  10.0.0.1:80",
  "-m tcp -p tcp -j DNAT --to-destination ! 10.0.0.1:80",
  "-m tcp -p tcp -j DNAT --to-destination",
  '-m tcp -p tcp -j DNAT --to-destination "10.0.0.1:80"',
  '-m comment --comment "a -j DNAT --to-destination 10.9.9.9:1" -p tcp -j DNAT --to-destination 10.0.0.1:80',
  "-p tcp -j DNAT --random --to-destination 10.0.0.1:80 --to-destination 10.0.0.2:80",
  "-p tcp --jump DNAT --to-destination 10.0.0.1:80",
  "-p tcp -j\tDNAT --to-destination 10.0.0.1:80",
];

describe("a balancing chain's rungs and DNAT rules", () => {
  it.each(RUNGS)("read the rung %s as the scanner does", (rung) => {
    const dnat = DNATS[0]!;
    const [read] = ladder(rung, dnat).rungs;
    const expected = scanned(rung, dnat);
    expect(read?.probabilityText).toBe(expected.probabilityText);
    expect(read?.address).toBe(expected.destination);
  });

  it.each(DNATS)("read the DNAT rule %s as the scanner does", (dnat) => {
    const rung = RUNGS[0]!;
    const [read] = ladder(rung, dnat).rungs;
    const expected = scanned(rung, dnat);
    expect(read?.address).toBe(expected.destination ?? "");
    expect(read?.addressFromChain).toBe(expected.destination !== null);
  });

  it("take the endpoint from the rung's comment when its chain has no DNAT rule, fast path or not", () => {
    for (const rung of [`-m comment --comment "ns/svc:http -> 10.0.0.7:80" -j ${SEP}`, `-m comment --comment "ns/svc:http -> 10.0.0.7:80" -m statistic --mode random --probability 0.5 -j ${SEP}`]) {
      const [read] = ladder(rung, "-j KUBE-MARK-MASQ").rungs;
      expect(read?.address).toBe("10.0.0.7:80");
      expect(read?.addressFromChain).toBe(false);
    }
  });
});
