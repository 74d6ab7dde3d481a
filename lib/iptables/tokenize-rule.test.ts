import { describe, expect, it } from "vitest";
import { tokenizeRule, type TokenizedRule } from "./tokenize-rule";

function tokens(text: string): TokenizedRule {
  const result = tokenizeRule(text);
  if (!result.ok) throw new Error(`expected a rule, got "${result.reason}" at ${result.offset}`);
  return result.rule;
}

function refusal(text: string): { reason: string; offset: number } {
  const result = tokenizeRule(text);
  if (result.ok) throw new Error(`expected "${text}" to be refused`);
  return { reason: result.reason, offset: result.offset };
}

describe("tokenizeRule", () => {
  it("reads a kube-proxy balancing rule as iptables-save prints it", () => {
    const rule = tokens(
      '-m comment --comment "default/svc-clusterip:svc-webport -> 10.10.1.2:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-TBW2IYJKUCAC7GB3',
    );
    expect(rule.matchModules).toEqual(["comment", "statistic"]);
    expect(rule.target).toBe("KUBE-SEP-TBW2IYJKUCAC7GB3");
    expect(rule.goto).toBe(false);
    expect(rule.options).toEqual([
      { name: "-m", args: ["comment"], negated: false, owner: "" },
      { name: "--comment", args: ["default/svc-clusterip:svc-webport -> 10.10.1.2:80"], negated: false, owner: "comment" },
      { name: "-m", args: ["statistic"], negated: false, owner: "" },
      { name: "--mode", args: ["random"], negated: false, owner: "statistic" },
      { name: "--probability", args: ["0.33333333349"], negated: false, owner: "statistic" },
      { name: "-j", args: ["KUBE-SEP-TBW2IYJKUCAC7GB3"], negated: false, owner: "" },
    ]);
  });

  it("keeps comments with ->, colons and semicolons whole, and unescapes quotes and backslashes inside quotes", () => {
    const rule = tokens(
      '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS',
    );
    expect(rule.options[1]?.args).toEqual(["kubernetes service nodeports; NOTE: this must be the last rule in this chain"]);
    // As iptables-save 1.8.9 printed these comments on this machine.
    expect(tokens('-m comment --comment "a \\"quoted\\" -> b:c; d" -j X').options[1]?.args).toEqual(['a "quoted" -> b:c; d']);
    expect(tokens('-m comment --comment "back\\\\\\\\slash" -j X').options[1]?.args).toEqual(["back\\\\slash"]);
    expect(tokens('-m comment --comment "" -g Y').options[1]?.args).toEqual([""]);
  });

  it("follows iptables-restore's word splitting: quotes join mid-word, a closing quote ends the word", () => {
    expect(tokens('--comment ab"c d"').options[0]?.args).toEqual(["abc d"]);
    expect(tokens('--comment "a b"c').options[0]?.args).toEqual(["a b", "c"]);
    // Outside quotes a backslash and a single quote are ordinary characters.
    expect(tokens("--comment back\\\\slash 'x").options[0]?.args).toEqual(["back\\\\slash", "'x"]);
  });

  it("reads unquoted multi-word comments of kube-proxy's test style as several arguments", () => {
    const rule = tokens("-m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES");
    expect(rule.options.find((o) => o.name === "--comment")?.args).toEqual(["kubernetes", "service", "portals"]);
    expect(rule.target).toBe("KUBE-SERVICES");
  });

  it("tolerates runs of blanks (nfacct prints a double space) and tabs", () => {
    const rule = tokens("-m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-X");
    expect(rule.options[1]).toEqual({ name: "--nfacct-name", args: ["localhost_nps_accepted_pkts"], negated: false, owner: "nfacct" });
    expect(tokens("-p\ttcp \t -j  ACCEPT").options.map((o) => o.args[0])).toEqual(["tcp", "ACCEPT"]);
  });

  it("negates the option after !, and also the pre-1.4.3 form with ! after the option name", () => {
    const rule = tokens("! -s 10.0.0.0/24 -m mark ! --mark 0x4000/0x4000 -m addrtype ! --dst-type LOCAL -j RETURN");
    expect(rule.options.filter((o) => o.negated).map((o) => [o.name, o.args[0], o.owner])).toEqual([
      ["-s", "10.0.0.0/24", ""],
      ["--mark", "0x4000/0x4000", "mark"],
      ["--dst-type", "LOCAL", "addrtype"],
    ]);
    const old = tokens("-p tcp --dport ! 80 -s ! 10.0.0.1 -j DROP");
    expect(old.options.find((o) => o.name === "--dport")).toEqual({ name: "--dport", args: ["80"], negated: true, owner: "tcp" });
    expect(old.options.find((o) => o.name === "-s")).toEqual({ name: "-s", args: ["10.0.0.1"], negated: true, owner: "" });
  });

  it("keeps base options base after a module, and gives --dport to the -p protocol when no -m names it", () => {
    const rule = tokens("-m comment --comment ns1/svc1:p80 -m tcp -p tcp -d 10.20.30.41 --dport 80 -j KUBE-SVC-X");
    expect(rule.options.map((o) => `${o.name}:${o.owner}`)).toEqual([
      "-m:",
      "--comment:comment",
      "-m:",
      "-p:",
      "-d:",
      "--dport:tcp",
      "-j:",
    ]);
    expect(tokens("-p UDP --dport 53 -j ACCEPT").options[1]?.owner).toBe("udp");
  });

  it("gives target options to the target: DNAT to IPv6, MARK, MASQUERADE flags, REJECT", () => {
    const dnat = tokens("-m tcp -p tcp -j DNAT --to-destination [ff06::c1]:80");
    expect(dnat.options.at(-1)).toEqual({ name: "--to-destination", args: ["[ff06::c1]:80"], negated: false, owner: "target" });
    expect(dnat.ipv6).toBe(true);
    expect(tokens("-j MARK --set-xmark 0x4000/0x0").options[1]).toMatchObject({ name: "--set-xmark", owner: "target" });
    expect(tokens("-j MASQUERADE --random-fully").options[1]).toEqual({
      name: "--random-fully",
      args: [],
      negated: false,
      owner: "target",
    });
    expect(tokens("-j REJECT --reject-with icmp-port-unreachable").options[1]?.args).toEqual(["icmp-port-unreachable"]);
    expect(tokens("-d 10.0.0.1/32 -j DNAT --to-destination 10.0.0.2:80").ipv6).toBe(false);
    expect(tokens("! -d ::1/128 -j KUBE-NODEPORTS").ipv6).toBe(true);
  });

  it("reads affinity (recent), goto, and unknown modules losslessly", () => {
    const recent = tokens(
      '-m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-OYPFS5VJICHGATKP --mask 255.255.255.255 --rsource -j KUBE-SEP-OYPFS5VJICHGATKP',
    );
    expect(recent.options.filter((o) => o.owner === "recent").map((o) => [o.name, ...o.args])).toEqual([
      ["--rcheck"],
      ["--seconds", "10800"],
      ["--reap"],
      ["--name", "KUBE-SEP-OYPFS5VJICHGATKP"],
      ["--mask", "255.255.255.255"],
      ["--rsource"],
    ]);
    expect(tokens("-g KUBE-SEP-Y")).toMatchObject({ target: "KUBE-SEP-Y", goto: true });
    const unknown = tokens("-m frobnicate --frob a b --flag -m set --match-set KUBE-X dst,dst -j ACCEPT");
    expect(unknown.matchModules).toEqual(["frobnicate", "set"]);
    expect(unknown.options[1]).toEqual({ name: "--frob", args: ["a", "b"], negated: false, owner: "frobnicate" });
    expect(unknown.options[4]).toEqual({ name: "--match-set", args: ["KUBE-X", "dst,dst"], negated: false, owner: "set" });
  });

  it("cuts inline -c counters out of the text and remembers where they stood", () => {
    const middle = tokens('-m comment --comment "x y" -c 5 6 -j KUBE-SVC-X');
    expect(middle.counters).toEqual({ packets: 5, bytes: 6 });
    expect(middle.text).toBe('-m comment --comment "x y" -j KUBE-SVC-X');
    expect(middle.countersOffset).toBe('-m comment --comment "x y" '.length);
    expect(middle.options.some((o) => o.name === "-c")).toBe(false);
    const last = tokens("-j RETURN -c 7 8");
    expect([last.text, last.countersOffset]).toEqual(["-j RETURN", 9]);
    const only = tokens("-c 0 0");
    expect([only.text, only.countersOffset, only.counters]).toEqual(["", 0, { packets: 0, bytes: 0 }]);
    expect(tokens("-j ACCEPT").countersOffset).toBeUndefined();
  });

  it("refuses what iptables-restore refuses, saying where", () => {
    expect(refusal('-m comment --comment "never closed -j X')).toEqual({ reason: "unterminated quote", offset: 21 });
    expect(refusal("-m")).toEqual({ reason: "-m needs a module name", offset: 0 });
    expect(refusal("-m --comment x").reason).toBe("-m needs a module name");
    expect(refusal("-j A -j B")).toEqual({ reason: "more than one target (-j/-g)", offset: 5 });
    expect(refusal("-j")).toEqual({ reason: "-j/-g needs a target", offset: 0 });
    expect(refusal("-j DNAT extra").reason).toBe('unexpected argument "extra"');
    expect(refusal("stray -j X")).toEqual({ reason: 'unexpected argument "stray"', offset: 0 });
    expect(refusal("! ! -s 1.2.3.4").reason).toBe("multiple ! flags");
    expect(refusal("-s 1.2.3.4 !")).toEqual({ reason: "! at the end of the rule", offset: 11 });
    expect(refusal("! -j X").reason).toBe("a target cannot be negated");
    expect(refusal("-c x 1 -j X").reason).toBe("counter packets must be a number");
    expect(refusal("-c 1 -j X").reason).toBe("-c needs packet and byte counts");
    expect(refusal("-c 1 2 -c 3 4").reason).toBe("counters given twice");
  });
});
