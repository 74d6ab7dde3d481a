/**
 * kube-proxy's nftables scripts through the real kernel: load a corpus script into a throwaway network namespace with
 * `nft -f`, list `table ip kube-proxy` back, and check that the listing gives the model the script gives. Runs as root.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildNftProxyModel } from "@/lib/nftables/build-nft-model";
import { nftEndpointChainNameBase, nftServicePortChainNameBase } from "@/lib/kube-proxy/chain-names";
import { parseNftRuleset } from "@/lib/nftables/parse-nft-ruleset";
import type { NftRulesetForm } from "@/lib/nftables/types";
import type { ProxyModel } from "@/lib/kube-proxy/types";
import { createNetns, deleteNetns, inNetns, requireRoot } from "./support/netns";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus/nftables");
const FILES = [
  "001_TestOverallNFTablesRules.nft",
  "002_TestSyncProxyRulesRepeated_01_initial.nft",
  "004_TestSyncProxyRulesRepeated_03_delete_svc2_stale_chains_flushed.nft",
  "008_TestSyncProxyRulesRepeated_07_svc3_endpoint_changed.nft",
  "010_TestSyncProxyRulesRepeated_09_svc3_endpoints_emptied.nft",
  "013_TestSyncProxyRulesStartup_expected.nft",
  "014_TestBadIPs.nft",
];

/**
 * kube-proxy's scripts name chains before declaring them (a vmap entry or map element going to a chain added further
 * down), which `nft -f` refuses. Declarations first, then contents: every `add table`, then `add set`/`add map`/
 * `add chain`, then `add rule`/`add element`, each group in its original order (rule order within a chain is kept).
 */
function reorderForLoad(script: string): string {
  const lines = script.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const group = (line: string) => (line.startsWith("add table ") ? 0 : /^add (set|map|chain) /.test(line) ? 1 : 2);
  return [0, 1, 2].flatMap((g) => lines.filter((line) => group(line) === g)).join("\n") + "\n";
}

function modelOf(source: string, form: NftRulesetForm): ProxyModel {
  const result = parseNftRuleset(source);
  if (!result.ok) throw new Error(`${result.error.reason} at line ${result.error.line}: ${result.error.text}`);
  expect(result.ruleset.form).toBe(form);
  return buildNftProxyModel(result.ruleset);
}

/** Problems carry input lines, which differ between a script and a listing; everything else must match. */
function withoutLines(model: ProxyModel): ProxyModel {
  return { ...model, problems: model.problems.map(({ line: _line, ...problem }) => problem) };
}

describe("kube-proxy nftables scripts loaded into the kernel", () => {
  const namespaces: string[] = [];
  let dir = "";

  beforeAll(async () => {
    requireRoot();
    dir = await mkdtemp(path.join(os.tmpdir(), "natwatch-nft-"));
  });

  afterAll(async () => {
    const failures: unknown[] = [];
    for (const ns of namespaces) await deleteNetns(ns).catch((error: unknown) => failures.push(error));
    if (dir) await rm(dir, { recursive: true, force: true });
    if (failures.length > 0) throw failures[0];
  });

  /** A fresh namespace holding `script`, reordered for `nft -f`. */
  async function load(name: string, script: string): Promise<string> {
    const ns = await createNetns("nft");
    namespaces.push(ns);
    const file = path.join(dir, name);
    await writeFile(file, reorderForLoad(script));
    await inNetns(ns, "nft", ["-f", file]);
    return ns;
  }

  it.each(FILES)("%s: the listing, with and without handles, gives the model of the script", async (file) => {
    const script = readFileSync(path.join(corpus, file), "utf8");
    const expected = withoutLines(modelOf(script, "script"));
    expect(expected.servicePorts.length).toBeGreaterThan(0);
    const ns = await load(file, script);
    const listing = await inNetns(ns, "nft", ["list", "table", "ip", "kube-proxy"]);
    expect(withoutLines(modelOf(listing.stdout, "listing"))).toEqual(expected);
    const withHandles = await inNetns(ns, "nft", ["-a", "list", "table", "ip", "kube-proxy"]);
    expect(withHandles.stdout).toContain("# handle");
    expect(withoutLines(modelOf(withHandles.stdout, "listing"))).toEqual(expected);
    await deleteNetns(ns);
  });

  it("counts new connections per endpoint with counters on the DNAT rules", async () => {
    const script = readFileSync(path.join(corpus, "001_TestOverallNFTablesRules.nft"), "utf8").replaceAll(" dnat to ", " counter dnat to ");
    const ns = await load("001-counters.nft", script);
    // A link whose far end answers nothing: connections to service IPs are DNATed (nat output hook), leave, and die.
    await inNetns(ns, "ip", ["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    for (const link of ["v0", "v1"]) await inNetns(ns, "ip", ["link", "set", link, "up"]);
    await inNetns(ns, "ip", ["addr", "add", "10.99.0.1/24", "dev", "v0"]);
    for (const route of ["172.30.0.0/16", "10.180.0.0/16"]) await inNetns(ns, "ip", ["route", "add", route, "dev", "v0"]);
    const connect = (ip: string, count: number) =>
      inNetns(ns, process.execPath, [
        "-e",
        "const net = require('node:net'); const [ip, n] = process.argv.slice(1);" +
          "for (let i = 0; i < Number(n); i++) { const s = net.connect(80, ip); s.on('error', () => {}); setTimeout(() => s.destroy(), 300); }",
        ip,
        String(count),
      ]);
    await connect("172.30.0.41", 3);
    await connect("172.30.0.44", 8);
    await connect("172.30.0.45", 2);
    const listing = await inNetns(ns, "nft", ["list", "table", "ip", "kube-proxy"]);
    expect(listing.stdout).toMatch(/counter packets [1-9]/);
    const model = modelOf(listing.stdout, "listing");
    const packets = (name: string) => model.servicePorts.find((p) => p.name === name)!;
    expect(packets("ns1/svc1:p80").endpoints.map((e) => e.packets)).toEqual([3]);
    expect(packets("ns4/svc4:p80").packets).toBe(8);
    expect(packets("ns4/svc4:p80").endpoints.reduce((n, e) => n + e.packets, 0)).toBe(8);
    expect(packets("ns5/svc5:p80").packets).toBe(2);
    expect(packets("ns3/svc3:p80").packets).toBe(0);
    // Apart from counters, traffic changes nothing the model says.
    const zeroed = (m: ProxyModel) => ({
      ...m,
      servicePorts: m.servicePorts.map((p) => ({ ...p, packets: 0, endpoints: p.endpoints.map((e) => ({ ...e, packets: 0, bytes: 0 })) })),
    });
    expect(withoutLines(zeroed(model))).toEqual(withoutLines(zeroed(modelOf(script, "script"))));
    await deleteNetns(ns);
  });

  it("nft list ruleset of a node that also has iptables-nft tables gives the kube-proxy model", async () => {
    const script = readFileSync(path.join(corpus, "001_TestOverallNFTablesRules.nft"), "utf8");
    const ns = await load("001-beside-iptables.nft", script);
    const iptables = path.resolve(corpus, "../iptables/109_legacy_TestTerminatingEndpointsTrafficPolicyCluster_ready_endpoints_exist.txt");
    await inNetns(ns, "iptables-restore", [iptables]);
    const ruleset = await inNetns(ns, "nft", ["list", "ruleset"]);
    expect(ruleset.stdout).toContain("table ip nat");
    const parsed = parseNftRuleset(ruleset.stdout);
    expect(parsed.ok && parsed.ruleset.tables.map((t) => t.name).sort()).toEqual(["filter", "kube-proxy", "nat"]);
    expect(withoutLines(modelOf(ruleset.stdout, "listing"))).toEqual(withoutLines(modelOf(script, "script")));
    await deleteNetns(ns);
  });

  it("an ip6 kube-proxy table lists back to the same model, with bracketed addresses", async () => {
    const spn = "ns1/svc1:p80";
    const svc = `service-${nftServicePortChainNameBase(spn, "tcp")}`;
    const endpoints = ["[fd00:10:180::1]:80", "[fd00:10:180::2]:80"];
    const chains = endpoints.map((a) => `endpoint-${nftEndpointChainNameBase(spn, "tcp", a)}`);
    const script = [
      "add table ip6 kube-proxy { comment \"rules for kube-proxy\" ; }",
      "add set ip6 kube-proxy cluster-ips { type ipv6_addr ; comment \"Active ClusterIPs\" ; }",
      "add map ip6 kube-proxy service-ips { type ipv6_addr . inet_proto . inet_service : verdict ; }",
      "add chain ip6 kube-proxy services",
      "add chain ip6 kube-proxy mark-for-masquerade",
      "add rule ip6 kube-proxy mark-for-masquerade mark set mark or 0x4000",
      "add rule ip6 kube-proxy services ip6 daddr . meta l4proto . th dport vmap @service-ips",
      `add chain ip6 kube-proxy ${svc}`,
      `add rule ip6 kube-proxy ${svc} ip6 daddr fd00:30::41 ip6 saddr != fd00:10::/64 jump mark-for-masquerade`,
      `add rule ip6 kube-proxy ${svc} numgen random mod 2 vmap { 0 : goto ${chains[0]} , 1 : goto ${chains[1]} }`,
      ...chains.flatMap((chain, i) => [
        `add chain ip6 kube-proxy ${chain}`,
        `add rule ip6 kube-proxy ${chain} ip6 saddr fd00:10:180::${i + 1} jump mark-for-masquerade`,
        `add rule ip6 kube-proxy ${chain} meta l4proto tcp dnat to ${endpoints[i]}`,
      ]),
      "add element ip6 kube-proxy cluster-ips { fd00:30::41 }",
      `add element ip6 kube-proxy service-ips { fd00:30::41 . tcp . 80 : goto ${svc} }`,
    ].join("\n");
    const expected = modelOf(script, "script");
    expect(expected.family).toBe("ipv6");
    expect(expected.problems).toEqual([]);
    expect(expected.servicePorts[0]!.endpoints.map((e) => [e.address, e.chainVerified])).toEqual([
      ["[fd00:10:180::1]:80", true],
      ["[fd00:10:180::2]:80", true],
    ]);
    const ns = await load("ip6.nft", script);
    const listing = await inNetns(ns, "nft", ["list", "table", "ip6", "kube-proxy"]);
    expect(listing.stdout).toContain("dnat to [fd00:10:180::1]:80");
    expect(modelOf(listing.stdout, "listing")).toEqual(expected);
    await deleteNetns(ns);
  });
});
