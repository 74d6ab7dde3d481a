import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CAPTURED_LISTING, CAPTURED_SAVE } from "./fixtures/iptables-1.8.9-capture";
import { parseIptablesSave, type ParseOptions } from "./parse-iptables-save";
import { optionArg, ruleComment } from "./rule-options";
import { serializeIptablesSave } from "./serialize-iptables-save";
import { tokenizeRule } from "./tokenize-rule";
import type { Chain, IptablesDump, IptablesParseError, Table } from "./types";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/", import.meta.url));
const corpusDumps = readdirSync(`${CORPUS}iptables`).filter((name) => name.endsWith(".txt"));

function corpusText(path: string): string {
  return readFileSync(`${CORPUS}${path}`, "utf8");
}

function dumpOf(text: string, options?: ParseOptions): IptablesDump {
  const result = parseIptablesSave(text, options);
  if (!result.ok) throw new Error(`parse failed: ${JSON.stringify(result.error)}`);
  return result.dump;
}

function errorOf(text: string, options?: ParseOptions): IptablesParseError {
  const result = parseIptablesSave(text, options);
  if (result.ok) throw new Error("expected a parse error");
  return result.error;
}

function table(dump: IptablesDump, name: string): Table {
  const found = dump.tables.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

function chain(t: Table, name: string): Chain {
  const found = t.chains.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no chain ${name} in ${t.name}`);
  return found;
}

/**
 * The `-A/-N/-P/-X/:CHAIN` lines of a realworld excerpt (a shell transcript or a diff), split into the outputs of
 * the commands it shows; diff markers are stripped, keeping the "before" or "after" side.
 */
function listingsOf(text: string, side?: "before" | "after"): string[] {
  const listings: string[][] = [[]];
  for (const raw of text.split("\n")) {
    let line = raw;
    if (side !== undefined) {
      const marker = line[0];
      if (marker === "+" && side === "before") continue;
      if (marker === "-" && side === "after" && /^-(-A|-N|-P|-X) /.test(line)) continue;
      if (marker === " " || marker === "+" || (marker === "-" && /^-(-A|-N|-P|-X) /.test(line))) line = line.slice(1);
    }
    if (/^\S+@\S+:.*[$#] /.test(line) || /^\S+ \$ /.test(line)) listings.push([]);
    else if (/^(-A|-N|-P|-X) |^:/.test(line)) listings.at(-1)?.push(line);
  }
  return listings.filter((lines) => lines.length > 0).map((lines) => `${lines.join("\n")}\n`);
}

describe("parseIptablesSave on the kube-proxy corpus", () => {
  it.each(corpusDumps)("%s parses, every rule tokenizes as on its own, and it re-serializes byte for byte", (name) => {
    const text = corpusText(`iptables/${name}`);
    const dump = dumpOf(text);
    expect(dump.format).toBe("save");
    expect(dump.tables.length).toBeGreaterThan(0);
    for (const t of dump.tables) {
      expect(t.committed).toBe(true);
      for (const c of t.chains) {
        for (const rule of c.rules) {
          expect(rule.chain).toBe(c.name);
          const alone = tokenizeRule(rule.text);
          expect(alone.ok && alone.rule.options).toEqual(rule.options);
          expect(text.split("\n")[rule.line - 1]).toBe(`-A ${c.name} ${rule.text}`);
        }
      }
    }
    expect(serializeIptablesSave(dump)).toBe(text);
  });

  it("reads several tables in one input, in input order (004: filter, nat, mangle)", () => {
    const dump = dumpOf(corpusText("iptables/004_TestSortIPTablesRules_extra_tables_input.txt"));
    expect(dump.tables.map((t) => [t.name, t.line, t.commitLine])).toEqual([
      ["filter", 1, 10],
      ["nat", 11, 20],
      ["mangle", 21, 30],
    ]);
    for (const t of dump.tables) {
      expect(t.chains.map((c) => c.name)).toEqual(["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS"]);
      expect(chain(t, "KUBE-FORWARD").rules).toHaveLength(3);
    }
  });

  it("records -X deletions of kube-proxy's partial syncs", () => {
    const deleted = (file: string): string[] => table(dumpOf(corpusText(`iptables/${file}`)), "nat").deletedChains;
    expect(deleted("009_TestSyncProxyRulesRepeated_03_partial_delete_svc2.txt")).toEqual([
      "KUBE-SEP-UHEGFW77JX3KXTOV",
      "KUBE-SVC-2VJB64SDSIJUP5T6",
    ]);
    expect(deleted("012_TestSyncProxyRulesRepeated_06_partial_svc3_endpoint_changed.txt")).toEqual(["KUBE-SEP-BSWRHOQ77KEXZLNL"]);
    expect(deleted("015_TestSyncProxyRulesRepeated_09_full_resync_after_failure.txt")).toEqual([
      "KUBE-SEP-AYCN5HPXMIRJNJXU",
      "KUBE-SVC-4SW47YFZTEDKD3PK",
    ]);
    expect(deleted("008_TestSyncProxyRulesRepeated_02_partial_add_svc3.txt")).toEqual([]);
    const nat = table(dumpOf(corpusText("iptables/009_TestSyncProxyRulesRepeated_03_partial_delete_svc2.txt")), "nat");
    expect(nat.deletions).toEqual([
      { chain: "KUBE-SEP-UHEGFW77JX3KXTOV", line: 27 },
      { chain: "KUBE-SVC-2VJB64SDSIJUP5T6", line: 28 },
    ]);
  });

  it("reads ip6tables dumps: IPv6 DNAT destinations and family", () => {
    const dump = dumpOf(corpusText("iptables/114_legacy_TestEnableLocalhostNodePortsIPv6_ip6tables.txt"));
    expect(dump.family).toBe("ipv6");
    const sep = chain(table(dump, "nat"), "KUBE-SEP-LIGRYQQLSZN4UWQ5");
    expect(sep.rules[1]?.target).toBe("DNAT");
    expect(optionArg(sep.rules[1]!, "--to-destination", "target")).toBe("[ff06::c1]:80");
    expect(ruleComment(chain(table(dump, "nat"), "KUBE-SVC-XPGD46QRK7WJZT7O").rules[0]!)).toBe("ns1/svc1:p80 -> [ff06::c1]:80");
    const nodePorts = chain(table(dump, "nat"), "KUBE-SERVICES").rules[1]!;
    expect(nodePorts.options.find((o) => o.name === "-d")).toEqual({ name: "-d", args: ["::1/128"], negated: true, owner: "" });
    expect(dumpOf(corpusText("iptables/006_TestOverallIPTablesRules.txt")).family).toBe("ipv4");
    expect(dumpOf(corpusText("iptables/006_TestOverallIPTablesRules.txt"), { family: "ipv6" }).family).toBe("ipv6");
  });

  it("reads probabilities, negations and the masquerade marks of a full dump (006)", () => {
    const nat = table(dumpOf(corpusText("iptables/006_TestOverallIPTablesRules.txt")), "nat");
    const balancing = nat.chains.flatMap((c) => c.rules).filter((r) => optionArg(r, "--probability") !== null);
    expect(balancing.length).toBeGreaterThan(0);
    for (const rule of balancing) expect(rule.matchModules).toContain("statistic");
    const postrouting = chain(nat, "KUBE-POSTROUTING").rules;
    expect(postrouting[0]?.options[1]).toEqual({ name: "--mark", args: ["0x4000/0x4000"], negated: true, owner: "mark" });
    expect(optionArg(postrouting[1]!, "--xor-mark", "target")).toBe("0x4000");
    // kube-proxy's test style: built-in chains declared with `-`, unquoted multi-word comments (005).
    const traced = table(dumpOf(corpusText("iptables/005_TestTracePacket_static.txt")), "nat");
    expect(ruleComment(chain(traced, "PREROUTING").rules[0]!)).toBe("kubernetes service portals");
    expect(chain(traced, "PREROUTING")).toMatchObject({ policy: null, counters: { packets: 0, bytes: 0 }, declared: true });
  });

  it("reads the single-chain fragments (017) as a listing and writes them back", () => {
    const lines = corpusText("iptables/017_fragments_not_a_dump.lines")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    const text = `${lines.join("\n")}\n`;
    const dump = dumpOf(text, { defaultTable: "nat" });
    expect(dump.format).toBe("listing");
    const nat = table(dump, "nat");
    expect(nat.deletedChains).toEqual(["KUBE-SVC-EBDQOQU5SJFXRIL3", "KUBE-SEP-SU5STNODRYEWJAUF"]);
    expect(nat.chains.every((c) => !c.declared)).toBe(true);
    expect(chain(nat, "KUBE-POSTROUTING").rules.at(-1)?.options.at(-1)).toEqual({
      name: "--random-fully",
      args: [],
      negated: false,
      owner: "target",
    });
    expect(chain(nat, "KUBE-FORWARD").rules[1]?.matchModules).toEqual(["conntrack", "nfacct"]);
    expect(serializeIptablesSave(dump)).toBe(text);
  });
});

describe("parseIptablesSave on real captures", () => {
  it("reads iptables-save -c: chain and rule counters, comments, goto, an empty rule", () => {
    const dump = dumpOf(CAPTURED_SAVE);
    const nat = table(dump, "nat");
    expect(dump.comments?.map((c) => c.line)).toEqual([1, 21]);
    expect(chain(nat, "POSTROUTING")).toMatchObject({ policy: "ACCEPT", counters: { packets: 3, bytes: 4 }, declared: true });
    expect(chain(nat, "KUBE-POST")).toMatchObject({ policy: null, line: 7 });
    const prerouting = chain(nat, "PREROUTING").rules[0]!;
    expect(prerouting.counters).toEqual({ packets: 5, bytes: 6 });
    expect(prerouting.text).toBe('-m comment --comment "a \\"quoted\\" -> b:c; d" -j KUBE-SVC-X');
    expect(ruleComment(prerouting)).toBe('a "quoted" -> b:c; d');
    const post = chain(nat, "KUBE-POST").rules;
    expect(ruleComment(post[0]!)).toBe("back\\\\slash");
    expect(post.map((r) => r.counters?.packets)).toEqual([0, 0, 0, 7, 0]);
    expect(post[4]).toMatchObject({ text: "", target: null, options: [], matchModules: [] });
    expect(chain(nat, "KUBE-SVC-X").rules[1]).toMatchObject({ target: "KUBE-SEP-Y", goto: true });
    expect(serializeIptablesSave(dump)).toBe(CAPTURED_SAVE);
  });

  it("reads iptables -S -v: -P/-N lines and inline -c counters, same rules as the save", () => {
    const listing = table(dumpOf(CAPTURED_LISTING, { defaultTable: "nat" }), "nat");
    const save = table(dumpOf(CAPTURED_SAVE), "nat");
    expect(listing.chains.map((c) => [c.name, c.policy, c.counters])).toEqual(
      save.chains.map((c) => [c.name, c.policy, c.policy === null ? null : c.counters]),
    );
    const strip = (t: Table) => t.chains.flatMap((c) => c.rules.map((r) => [r.chain, r.text, r.counters, r.options, r.target]));
    expect(strip(listing)).toEqual(strip(save));
    expect(chain(listing, "KUBE-POST").rules[3]?.countersOffset).toBe(0);
  });

  it("reads the realworld excerpts' rule lines as listings, with -S -v counters (01)", () => {
    const files = readdirSync(`${CORPUS}realworld`).filter((name) => name.endsWith(".txt"));
    expect(files.length).toBeGreaterThanOrEqual(6);
    let listings = 0;
    for (const file of files) {
      const text = corpusText(`realworld/${file}`);
      const sides = file.startsWith("05_") ? (["before", "after"] as const) : [undefined];
      for (const side of sides) {
        for (const listing of listingsOf(text, side)) {
          const dump = dumpOf(listing, { defaultTable: "nat" });
          expect(dump.tables[0]?.chains.length).toBeGreaterThan(0);
          listings++;
        }
      }
    }
    expect(listings).toBeGreaterThanOrEqual(12);

    const robric = listingsOf(corpusText("realworld/01_k3s_metallb_robric_iptables-save_and_S-v.txt"));
    const svc = chain(table(dumpOf(robric.at(-1)!, { defaultTable: "nat" }), "nat"), "KUBE-SVC-W47NQ5DDJKUWFTVY");
    expect(svc.declared).toBe(true);
    expect(svc.rules).toHaveLength(7);
    expect(svc.rules.every((r) => r.counters?.packets === 0 && r.counters.bytes === 0)).toBe(true);
    expect(svc.rules.map((r) => optionArg(r, "--probability"))).toEqual([
      null,
      "0.16666666651",
      "0.20000000019",
      "0.25000000000",
      "0.33333333349",
      "0.50000000000",
      null,
    ]);
    expect(svc.rules[1]?.text).toBe(
      '-m comment --comment "default/nginx-mlb-l2-service -> 10.42.0.25:8080" -m statistic --mode random --probability 0.16666666651 -j KUBE-SEP-H3SFLVALEZ5LECV3',
    );
    // The grep of iptables-save output names chains it never declares.
    const grep = table(dumpOf(robric[1]!, { defaultTable: "nat" }), "nat");
    expect(chain(grep, "KUBE-SVC-W47NQ5DDJKUWFTVY").declared).toBe(true);
    expect(chain(grep, "KUBE-EXT-W47NQ5DDJKUWFTVY")).toMatchObject({ declared: false, policy: null, line: 2 });
  });

  it("sees the coredns scale-up in the before/after sides of the realworld diff (05)", () => {
    const text = corpusText("realworld/05_kind_coredns_scale_diff_iptables-S.txt");
    const [before] = listingsOf(text, "before");
    const [after] = listingsOf(text, "after");
    const ladder = (listing: string) =>
      chain(table(dumpOf(listing, { defaultTable: "nat" }), "nat"), "KUBE-SVC-TCOU7JCQXEZGVUNU").rules.map((r) =>
        optionArg(r, "--probability"),
      );
    expect(ladder(before!)).toEqual(["0.50000000000", null]);
    expect(ladder(after!)).toEqual(["0.25000000000", "0.33333333349", "0.50000000000", null]);
  });
});

describe("parseIptablesSave input handling", () => {
  it("keeps rule text verbatim (double spaces) and accepts CRLF line ends and blank lines", () => {
    const text = "*nat\r\n:KUBE-NODEPORTS - [0:0]\r\n\r\n-A KUBE-NODEPORTS -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j X\r\nCOMMIT\r\n";
    const rule = chain(table(dumpOf(text), "nat"), "KUBE-NODEPORTS").rules[0]!;
    expect(rule.text).toBe("-m nfacct --nfacct-name  localhost_nps_accepted_pkts -j X");
    expect(rule.line).toBe(4);
  });

  it("ignores a byte-order mark before the first line", () => {
    expect(dumpOf("\uFEFF*nat\n:X - [0:0]\nCOMMIT\n").tables[0]?.chains[0]?.name).toBe("X");
    expect(dumpOf("\uFEFF-A X -j Y\n", { defaultTable: "nat" }).format).toBe("listing");
    expect(errorOf("\uFEFFhello\n")).toMatchObject({ line: 1, column: 1 });
  });

  it("orders declared chains first, then chains only named by rules, and upgrades a chain declared late", () => {
    const dump = dumpOf("-A B -j X\n-A C -j Y\n-N A\n-N C\n", { defaultTable: "filter" });
    const t = table(dump, "filter");
    expect(t.chains.map((c) => [c.name, c.declared, c.line])).toEqual([
      ["A", true, 3],
      ["C", true, 4],
      ["B", false, 1],
    ]);
    expect(t.committed).toBe(false);
  });

  it("puts each rule in its chain whatever order the groups come in, next to declared or not", () => {
    const names = ["KUBE-SVC-AAAA", "KUBE-SEP-AAAA", "KUBE-SEP-AAAB", "KUBE-SEP-AAAC", "KUBE-EXT-AAAA"];
    const order = [0, 1, 2, 3, 4, 0, 3, 2, 1, 4, 1, 4, 0, 2];
    const lines = ["*nat", ...names.map((n) => `:${n} - [0:0]`)];
    order.forEach((c, i) => lines.push(`-A ${names[c]} -m comment --comment r${i} -j RETURN`));
    lines.push("-A KUBE-SEP-AAAD -j RETURN", "-A KUBE-SEP-AAAB -j RETURN", "COMMIT", "");
    const t = table(dumpOf(lines.join("\n")), "nat");
    const expected = new Map<string, string[]>();
    order.forEach((c, i) => expected.set(names[c]!, [...(expected.get(names[c]!) ?? []), `-m comment --comment r${i} -j RETURN`]));
    expected.get("KUBE-SEP-AAAB")!.push("-j RETURN");
    expected.set("KUBE-SEP-AAAD", ["-j RETURN"]);
    expect(new Map(t.chains.map((c) => [c.name, c.rules.map((r) => r.text)]))).toEqual(expected);
    expect(t.chains.map((c) => c.declared)).toEqual([true, true, true, true, true, false]);
  });

  it("refuses a chain declared twice with the line of the first declaration, before and after a chain used undeclared", () => {
    const twice = parseIptablesSave("*nat\n:A - [0:0]\n:B - [0:0]\n:A - [0:0]\nCOMMIT\n");
    expect(twice.ok ? null : [twice.error.reason, twice.error.line]).toEqual(["chain A declared twice (first at line 2)", 4]);
    const afterUse = parseIptablesSave("*nat\n:A - [0:0]\n-A C -j A\n:C - [0:0]\n:A - [0:0]\nCOMMIT\n");
    expect(afterUse.ok ? null : [afterUse.error.reason, afterUse.error.line]).toEqual(["chain A declared twice (first at line 2)", 5]);
  });

  it("reads -P with counters and a restore input's -N", () => {
    const dump = dumpOf("-P INPUT DROP -c 10 20\n-N KUBE-X\n-A INPUT -j KUBE-X\n", { defaultTable: "filter" });
    expect(table(dump, "filter").chains.map((c) => [c.name, c.policy, c.counters])).toEqual([
      ["INPUT", "DROP", { packets: 10, bytes: 20 }],
      ["KUBE-X", null, null],
    ]);
    expect(dumpOf("*nat\n-N KUBE-X\n-A KUBE-X -j RETURN\nCOMMIT\n").tables[0]?.chains[0]?.declared).toBe(true);
  });

  it("reads an empty input as an empty dump, and a listing needs defaultTable", () => {
    expect(dumpOf("")).toEqual({ format: "save", family: "ipv4", tables: [] });
    expect(dumpOf("# nothing\n\n").tables).toEqual([]);
    expect(dumpOf("", { defaultTable: "nat" }).tables.map((t) => t.name)).toEqual(["nat"]);
    expect(dumpOf("*filter\nCOMMIT\n", { defaultTable: "nat" }).format).toBe("save");
  });

  it.each([
    ["a stray word line", "*nat\nhello world\nCOMMIT\n", 2, 1, 'unexpected text "hello"'],
    ["an unterminated quote", '*nat\n-A X -m comment --comment "cut here\nCOMMIT\n', 2, 27, "unterminated quote"],
    ["a rule outside a table", "-A X -j Y\n", 1, 1, "rule outside a table (an iptables -S listing needs defaultTable)"],
    ["a rule after COMMIT", "*nat\nCOMMIT\n-A X -j Y\n", 3, 1, "rule outside a table"],
    ["a missing COMMIT", "*nat\n:X - [0:0]\n-A X -j Y", 3, 10, "COMMIT missing at end of input for *nat (opened at line 1)"],
    ["a new table before COMMIT", "*nat\n*filter\nCOMMIT\n", 2, 1, "COMMIT missing for *nat before a new table"],
    ["non-numeric counters", "*nat\n[x:1] -A X -j Y\nCOMMIT\n", 2, 1, "counters must be [packets:bytes] with numbers"],
    ["non-numeric chain counters", "*nat\n:X - [1:y]\nCOMMIT\n", 2, 6, "counters must be [packets:bytes] with numbers"],
    ["counters before something else", "*nat\n[1:2] :X - [0:0]\nCOMMIT\n", 2, 7, "-A expected after counters"],
    ["-A without chain", "*nat\n-A\nCOMMIT\n", 2, 1, "-A without chain name"],
    ["a table declared twice", "*nat\nCOMMIT\n*nat\nCOMMIT\n", 3, 1, "table nat declared twice (first at line 1)"],
    ["a chain declared twice", "*nat\n:X - [0:0]\n:X - [0:0]\nCOMMIT\n", 3, 1, "chain X declared twice (first at line 2)"],
    ["an unknown table", "*natt\nCOMMIT\n", 1, 2, 'unknown table "natt"'],
    ["COMMIT outside a table", "COMMIT\n", 1, 1, "COMMIT outside a table"],
    ["a bad policy", "*nat\n:INPUT MAYBE [0:0]\nCOMMIT\n", 2, 8, 'policy must be ACCEPT, DROP or - (got "MAYBE")'],
    ["an unsupported command", "*nat\n-I X 1 -j Y\nCOMMIT\n", 2, 1, "unsupported command -I"],
    ["two targets", "*nat\n-A X -j Y -j Z\nCOMMIT\n", 2, 11, "more than one target (-j/-g)"],
    ["a chain name too long", `*nat\n-A ${"K".repeat(29)} -j Y\nCOMMIT\n`, 2, 4, "chain name longer than 28 characters"],
    ["both counter notations", "*nat\n[1:2] -A X -c 3 4 -j Y\nCOMMIT\n", 2, 12, "counters given twice ([p:b] and -c)"],
    ["a table header in a listing", "-A X -j Y\n*nat\n", 2, 1, "table header in an iptables -S listing"],
  ])("refuses %s with line and column", (_, text, line, column, reason) => {
    const options = reason === "table header in an iptables -S listing" ? { defaultTable: "nat" } : undefined;
    const error = errorOf(text, options);
    expect(error).toMatchObject({ kind: "iptables-parse-error", reason, line, column });
    expect(error.text).toBe(text.split("\n")[line - 1]);
  });

  it("cuts the offending line to 200 characters in an error", () => {
    const error = errorOf(`*nat\n-A X -m comment --comment "${"x".repeat(500)}\nCOMMIT\n`);
    expect(error.text).toHaveLength(200);
    expect(error.line).toBe(2);
  });

  it("reads texts, counters and targets only when asked, without building options", () => {
    const full = dumpOf(CAPTURED_SAVE);
    const texts = dumpOf(CAPTURED_SAVE, { ruleOptions: false });
    const rules = (dump: IptablesDump) => dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
    expect(rules(texts).map((r) => [r.chain, r.text, r.counters, r.target, r.goto, r.line])).toEqual(
      rules(full).map((r) => [r.chain, r.text, r.counters, r.target, r.goto, r.line]),
    );
    expect(rules(texts).every((r) => r.options.length === 0 && r.matchModules.length === 0)).toBe(true);
    expect(serializeIptablesSave(texts)).toBe(CAPTURED_SAVE);
    expect(errorOf('*nat\n-A X -m comment --comment "cut\nCOMMIT\n', { ruleOptions: false }).reason).toBe("unterminated quote");
    const listing = dumpOf(CAPTURED_LISTING, { defaultTable: "nat", ruleOptions: false });
    expect(serializeIptablesSave(listing)).toBe(CAPTURED_LISTING);
  });

  it("finds the family from rule addresses without building options too", () => {
    const ip6 = corpusText("iptables/114_legacy_TestEnableLocalhostNodePortsIPv6_ip6tables.txt");
    expect(dumpOf(ip6, { ruleOptions: false }).family).toBe("ipv6");
    expect(dumpOf(corpusText("iptables/006_TestOverallIPTablesRules.txt"), { ruleOptions: false }).family).toBe("ipv4");
    const texts = (rule: string) => dumpOf(`*nat\n${rule}\nCOMMIT\n`, { ruleOptions: false }).family;
    const full = (rule: string) => dumpOf(`*nat\n${rule}\nCOMMIT\n`).family;
    for (const rule of [
      "-A X -s fd00::/8 -j RETURN",
      '-A X --destination "fd00::1" -j RETURN',
      "-A X -j DNAT --to-destination [fd00::1]:80",
      '-A X -j DNAT --to-destination "[fd00::1]:80"',
      "-A X -j DNAT --to-destination 10.0.0.1:80",
      "-A X -m comment --comment a:b -j DNAT --to-source 10.0.0.1",
      "-A X -j SNAT --to [fd00::1]",
    ]) {
      expect(texts(rule), rule).toBe(full(rule));
    }
    expect(texts("-A X -j DNAT --to-destination [fd00::1]:80")).toBe("ipv6");
  });

  it("refuses an unknown defaultTable", () => {
    expect(errorOf("-A X -j Y\n", { defaultTable: "nope" }).reason).toBe('unknown table "nope" (defaultTable)');
  });
});
