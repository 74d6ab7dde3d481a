import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { readComment, readRuleFacts, type RuleFacts } from "./rule-facts";

function factsOf(rule: string): RuleFacts {
  const parsed = parseIptablesSave(`${rule}\n`, { defaultTable: "nat" });
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return readRuleFacts(parsed.dump.tables[0]!.chains[0]!.rules[0]!);
}

describe("kube-proxy comments", () => {
  it("name the service port and say what the rule is for", () => {
    expect(readComment("ns1/svc1:p80 cluster IP")).toEqual({ servicePortName: "ns1/svc1:p80", kind: "cluster-ip", endpoint: null });
    expect(readComment("ns2/svc2:p80 loadbalancer IP")?.kind).toBe("load-balancer");
    expect(readComment("ns2/svc2:p80 external IP")?.kind).toBe("external-ip");
    expect(readComment("ns1/svc1 -> [ff06::c1]:80")).toEqual({ servicePortName: "ns1/svc1", kind: "endpoint", endpoint: "[ff06::c1]:80" });
    expect(readComment("default/test-svc:")).toEqual({ servicePortName: "default/test-svc:", kind: "plain", endpoint: null });
    expect(readComment("default/nginx:80-80 -> 10.42.0.199:80")?.servicePortName).toBe("default/nginx:80-80");
    expect(readComment("ns6/svc6:p80 has no endpoints")?.kind).toBe("no-endpoints");
    expect(readComment("ns2/svc2:p80 has no local endpoints")?.kind).toBe("no-local-endpoints");
    expect(readComment("masquerade traffic for ns4/svc4:p80 external destinations")).toEqual({
      servicePortName: "ns4/svc4:p80",
      kind: "other",
      endpoint: null,
    });
  });

  it("name no service port in kube-proxy's own chain comments", () => {
    expect(readComment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")).toBeNull();
    expect(readComment("kubernetes service portals")).toBeNull();
    expect(readComment("Redirect pods trying to reach external loadbalancer VIP to clusterIP")).toBeNull();
    expect(readComment("10.0.0.0/8 has no endpoints")).toBeNull();
    expect(readComment("kind-masq-agent: local traffic is not subject to MASQUERADE")).toBeNull();
  });
});

describe("rule facts", () => {
  it("read kube-proxy's spelling and iptables-save's alike", () => {
    const written = factsOf('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O');
    const saved = factsOf('-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O');
    for (const facts of [written, saved]) {
      expect(facts).toMatchObject({ servicePortName: "ns1/svc1:p80", commentKind: "cluster-ip", protocol: "tcp", destination: "172.30.0.41", dport: 80 });
    }
  });

  it("join test-style unquoted comments", () => {
    expect(factsOf("-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 health check node port -m tcp -p tcp --dport 30000 -j ACCEPT")).toMatchObject({
      servicePortName: "ns2/svc2:p80",
      commentKind: "other",
      dport: 30000,
    });
  });

  it("tell affinity lookups, ladder rules and unconditional jumps apart", () => {
    const affinity = factsOf(
      '-A KUBE-SVC-X -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN',
    );
    expect(affinity).toMatchObject({ recentCheck: true, recentSeconds: 10800, probabilityText: null, unconditional: false, commentEndpoint: "10.180.0.3:80" });
    const rung = factsOf("-A KUBE-SVC-X -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-Y");
    expect(rung).toMatchObject({ recentCheck: false, probabilityText: "0.33333333349", unconditional: false });
    expect(factsOf("-A KUBE-EXT-X -j KUBE-SVC-Y").unconditional).toBe(true);
    expect(factsOf('-A KUBE-EXT-X -m comment --comment "masquerade traffic for a/b:c external destinations" -j KUBE-MARK-MASQ').unconditional).toBe(true);
    expect(factsOf("-A KUBE-EXT-X -s 10.0.0.0/8 -j KUBE-SVC-Y").unconditional).toBe(false);
  });

  it("read the DNAT destination, IPv6 included", () => {
    expect(factsOf("-A KUBE-SEP-X -p tcp -m tcp -j DNAT --to-destination [ff06::c1]:80").toDestination).toBe("[ff06::c1]:80");
  });
});
