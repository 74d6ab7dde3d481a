import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseNftRuleset } from "./parse-nft-ruleset";
import type { NftRuleset, NftTable } from "./types";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../shared/corpus/nftables");
const corpusFiles = readdirSync(corpus).filter((f) => f.endsWith(".nft")).sort();
const read = (file: string) => readFileSync(path.join(corpus, file), "utf8");
const fixture = (file: string) => readFileSync(path.join(here, "fixtures", file), "utf8");

function parsed(source: string): NftRuleset {
  const result = parseNftRuleset(source);
  if (!result.ok) throw new Error(`${result.error.reason} at ${result.error.line}:${result.error.column}: ${result.error.text}`);
  return result.ruleset;
}

function kubeProxy(ruleset: NftRuleset): NftTable {
  const table = ruleset.tables.find((t) => t.family === "ip" && t.name === "kube-proxy");
  if (!table) throw new Error("no table ip kube-proxy");
  return table;
}

function error(source: string) {
  const result = parseNftRuleset(source);
  if (result.ok) throw new Error("parsed, expected an error");
  return result.error;
}

describe("parseNftRuleset on kube-proxy's nft -f scripts", () => {
  it("finds every corpus script", () => {
    expect(corpusFiles.length).toBe(15);
  });

  it.each(corpusFiles)("%s: every add line lands in the table", (file) => {
    const source = read(file);
    const table = kubeProxy(parsed(source));
    const lines = source.split("\n");
    const addedChains = new Set(lines.filter((l) => l.startsWith("add chain ")).map((l) => l.split(" ")[4]));
    const ruleLines = lines.filter((l) => l.startsWith("add rule "));
    const elementLines = new Set(lines.filter((l) => l.startsWith("add element ")));
    expect(table.chains.map((c) => c.name).sort()).toEqual([...addedChains].sort());
    expect(table.chains.every((c) => c.declared)).toBe(true);
    expect(table.chains.reduce((n, c) => n + c.rules.length, 0)).toBe(ruleLines.length);
    expect(table.sets.reduce((n, s) => n + s.elements.length, 0)).toBe(elementLines.size);
    expect(table.comment).toBe("rules for kube-proxy");
  });

  it("reads base chains, sets, maps and rules of 001 as kube-proxy wrote them", () => {
    const ruleset = parsed(read("001_TestOverallNFTablesRules.nft"));
    expect(ruleset.form).toBe("script");
    const table = kubeProxy(ruleset);
    const chain = (name: string) => table.chains.find((c) => c.name === name)!;
    expect(chain("filter-prerouting-pre-dnat").hook).toEqual({
      type: "filter", hook: "prerouting", priorityText: "-110", priority: -110, devices: null, policy: null,
    });
    expect(chain("reject-chain").comment).toBe("helper for @no-endpoint-services / @no-endpoint-nodeports");
    const serviceIPs = table.sets.find((s) => s.name === "service-ips")!;
    expect(serviceIPs.kind).toBe("map");
    expect(serviceIPs.type).toBe("ipv4_addr . inet_proto . inet_service : verdict");
    expect(serviceIPs.elements.find((e) => e.key === "5.6.7.8 . tcp . 80")).toMatchObject({
      keyParts: ["5.6.7.8", "tcp", "80"],
      verdict: { kind: "goto", chain: "external-HVFWP5L3-ns5/svc5/tcp/p80" },
    });
    const noEndpoints = table.sets.find((s) => s.name === "no-endpoint-services")!;
    expect(noEndpoints.elements.find((e) => e.key === "172.30.0.46 . tcp . 80")).toMatchObject({
      comment: "ns6/svc6:p80", value: "goto reject-chain", verdict: { kind: "goto", chain: "reject-chain" },
    });
    const affinity = table.sets.find((s) => s.name.startsWith("affinity-"))!;
    expect(affinity).toMatchObject({ kind: "set", type: "ipv4_addr", flags: ["dynamic", "timeout"], timeoutSeconds: 10800 });
    const balance = chain("service-LAUZTJTB-ns4/svc4/tcp/p80").rules[1]!;
    expect(balance.text).toBe(
      "numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }",
    );
    expect(balance.tokens.slice(0, 8)).toEqual(["numgen", "random", "mod", "2", "vmap", "{", "0", ":"]);
    const shortCircuit = chain("external-42NFTM6N-ns2/svc2/tcp/p80").rules[0]!;
    expect(shortCircuit.comment).toBe("short-circuit pod traffic");
    expect(shortCircuit.line).toBe(read("001_TestOverallNFTablesRules.nft").split("\n").findIndex((l) => l.includes("short-circuit pod")) + 1);
  });

  it("keeps flushed stale chains declared and empty (004), and forgets deleted ones (005)", () => {
    const flushed = kubeProxy(parsed(read("004_TestSyncProxyRulesRepeated_03_delete_svc2_stale_chains_flushed.nft")));
    expect(flushed.chains.find((c) => c.name === "service-MHHHYRWA-ns2/svc2/tcp/p8080")?.rules).toEqual([]);
    const deleted = kubeProxy(parsed(read("005_TestSyncProxyRulesRepeated_04_stale_chains_deleted.nft")));
    expect(deleted.chains.some((c) => c.name.includes("svc2"))).toBe(false);
  });
});

describe("parseNftRuleset on nft list output", () => {
  const script = kubeProxy(parsed(read("001_TestOverallNFTablesRules.nft")));

  it("reads the listing of the same state into the same chains, rules, sets and elements", () => {
    const ruleset = parsed(fixture("001-listing.nft"));
    expect(ruleset.form).toBe("listing");
    const listing = kubeProxy(ruleset);
    expect(listing.chains.map((c) => c.name).sort()).toEqual(script.chains.map((c) => c.name).sort());
    for (const chain of script.chains) {
      const listed = listing.chains.find((c) => c.name === chain.name)!;
      expect(listed.rules.length, chain.name).toBe(chain.rules.length);
      // nft lists standard priorities by name (`dstnat - 10`); the numbers match what kube-proxy wrote.
      expect(listed.hook?.priority ?? null, chain.name).toBe(chain.hook?.priority ?? null);
      expect(listed.hook?.policy ?? "accept").toBe("accept");
    }
    for (const set of script.sets) {
      const listed = listing.sets.find((s) => s.name === set.name)!;
      expect(listed.elements.map((e) => `${e.key} ${e.value}`).sort(), set.name).toEqual(set.elements.map((e) => `${e.key} ${e.value}`).sort());
    }
    const prerouting = listing.chains.find((c) => c.name === "filter-prerouting-pre-dnat")!.hook!;
    expect(prerouting).toMatchObject({ priorityText: "dstnat - 10", priority: -110, policy: "accept" });
    expect(listing.sets.find((s) => s.name === "cluster-ips")!.elements.map((e) => e.key)).toHaveLength(6);
    expect(listing.sets.find((s) => s.name.startsWith("affinity-"))).toMatchObject({ timeoutSeconds: 10800, size: 65535 });
    const masq = listing.chains.find((c) => c.name === "mark-for-masquerade")!.rules[0]!;
    expect(masq.text).toBe("meta mark set meta mark | 0x00004000");
  });

  it("reads nft -a handles and keeps them out of the rule text", () => {
    const table = kubeProxy(parsed(fixture("001-listing-handles.nft")));
    expect(table.handle).toBe(1);
    expect(table.sets.every((s) => s.handle !== null)).toBe(true);
    const rules = table.chains.flatMap((c) => c.rules);
    expect(rules.every((r) => r.handle !== null && !r.text.includes("handle"))).toBe(true);
    expect(new Set(rules.map((r) => r.handle)).size).toBe(rules.length);
  });

  it("takes counters out of the rule text and keeps their values", () => {
    const table = kubeProxy(parsed(fixture("001-listing-counters.nft")));
    const dnat = table.chains.find((c) => c.name === "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")!.rules[1]!;
    expect(dnat.counter).toEqual({ packets: 3, bytes: 180 });
    expect(dnat.text).toBe("meta l4proto tcp counter dnat to 10.180.0.1:80");
    expect(dnat.tokens).not.toContain("packets");
    const affinity = table.sets.find((s) => s.name.startsWith("affinity-"))!;
    expect(affinity.elements).toHaveLength(1);
    expect(affinity.elements[0]!.expires).toMatch(/^2h59m\d+s\d+ms$/);
  });
});

describe("parseNftRuleset on a whole node ruleset", () => {
  it("reads iptables-nft's tables beside kube-proxy's, xt matches and all", () => {
    const ruleset = parsed(fixture("ruleset-with-iptables-nft.nft"));
    expect(ruleset.tables.map((t) => `${t.family} ${t.name}`)).toEqual(["ip filter", "ip nat", "ip kube-proxy"]);
    const nat = ruleset.tables[1]!;
    const services = nat.chains.find((c) => c.name === "KUBE-SERVICES")!;
    const iptables = readFileSync(path.resolve(corpus, "../iptables/109_legacy_TestTerminatingEndpointsTrafficPolicyCluster_ready_endpoints_exist.txt"), "utf8");
    expect(services.rules).toHaveLength(iptables.split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES ")).length);
    expect(services.rules[0]!.counter).toEqual({ packets: 0, bytes: 0 });
    const affinity = nat.chains.flatMap((c) => c.rules).filter((r) => r.text.includes("xt match recent"));
    expect(affinity.length).toBeGreaterThan(0);
    expect(kubeProxy(ruleset).chains).toHaveLength(kubeProxy(parsed(read("001_TestOverallNFTablesRules.nft"))).chains.length);
  });
});

describe("parseNftRuleset applies commands in order", () => {

  it("flushes and deletes chains, inserts rules first, deletes elements", () => {
    const table = kubeProxy({
      form: "script",
      tables: parsed(
        "add table ip kube-proxy\nadd chain ip kube-proxy c\nadd map ip kube-proxy m { type ipv4_addr : verdict ; }\n" +
          "add rule ip kube-proxy c ip daddr 1.1.1.1 drop\ninsert rule ip kube-proxy c ip daddr 2.2.2.2 drop\n" +
          "add chain ip kube-proxy d\nadd rule ip kube-proxy d accept\nflush chain ip kube-proxy d\n" +
          "add chain ip kube-proxy e\ndelete chain ip kube-proxy e\ndestroy chain ip kube-proxy nope\n" +
          "add element ip kube-proxy m { 1.1.1.1 : goto c, 2.2.2.2 : drop }\ndelete element ip kube-proxy m { 1.1.1.1 }\n" +
          "flush table ip kube-proxy\nadd rule ip kube-proxy c accept\n",
      ).tables,
    });
    expect(table.chains.map((c) => c.name)).toEqual(["c", "d"]);
    expect(table.chains[0]!.rules.map((r) => r.text)).toEqual(["accept"]);
    // `flush table` removes rules, not set elements (nft 1.0.6).
    expect(table.sets[0]!.elements.map((e) => e.key)).toEqual(["2.2.2.2"]);
  });

  it("accepts a rule for a chain declared later, and says it was undeclared", () => {
    const table = parsed("add table ip t\nadd rule ip t later jump other\n").tables[0]!;
    expect(table.chains[0]).toMatchObject({ name: "later", declared: false });
  });

  it("defaults to family ip when a command names none", () => {
    expect(parsed("add table t\nadd chain t c\nadd rule t c drop\n").tables[0]).toMatchObject({ family: "ip", name: "t" });
  });

  it("reads a mixed input and a table body given to add table", () => {
    const ruleset = parsed("table ip6 a {\n chain x {\n  drop\n }\n}\nadd table ip b { comment \"hi\" ; flags dormant ; }\n");
    expect(ruleset.form).toBe("mixed");
    expect(ruleset.tables.map((t) => [t.family, t.name, t.comment, t.flags])).toEqual([["ip6", "a", null, []], ["ip", "b", "hi", ["dormant"]]]);
  });
});

describe("parseNftRuleset refuses what is not nft", () => {
  it.each([
    ["hello world\n", "unknown command 'hello'", 1, 1],
    ["add table ip t\nadd rule ip t c ip saddr \"10.0.0.1 drop\n", "unterminated string", 2, 26],
    ["table ip t {\n chain c {\n  drop\n", "'}' missing at the end of chain c", 3, 7],
    ["table ip t {\n chain c {\n  this is not a rule\n }\n}\n", "unknown rule expression 'this'", 3, 3],
    ["add table ip t\nadd element ip t s { 1.1.1.1 tcp }\n", "unexpected 'tcp' in element", 2, 30],
    ["add table ip t\nadd rule ip t c counter packets x bytes 1 accept\n", "counter values must be numbers", 2, 33],
    ["add table ip t\nadd chain ip t c\x00\n", "control character 0x00", 2, 17],
    ["}\n", "unexpected '}'", 1, 1],
    ["add rule ip missing c drop\n", "table ip missing does not exist", 1, 5],
    ["add table ip t\ncreate table ip t\n", "table ip t already exists", 2, 8],
    ["add table ip t\nadd set ip t s { type ipv4_addr ; colour blue ; }\n", "unknown set property 'colour'", 2, 35],
    ["list ruleset\n", "unknown command 'list'", 1, 1],
    ["add table ip t\nadd rule ip t c position 3 drop\n", "rule placement by 'position' is not supported", 2, 17],
  ])("%j → %s", (source, reason, line, column) => {
    expect(error(source)).toEqual({ kind: "nft-parse-error", reason, line, column, text: source.split("\n")[line - 1]!.replace("\x00", "\x00") });
  });

  it("truncates the offending line to 200 characters", () => {
    const long = `x${"y".repeat(300)}`;
    expect(error(long).text).toHaveLength(200);
  });
});
