import { describe, expect, it } from "vitest";
import { chainMatches, searchPattern } from "./ruleset-search";

const services = {
  chain: "KUBE-SERVICES",
  rules: [
    '-A KUBE-SERVICES -m comment --comment "default/svc-clusterip:svc-webport cluster IP" -m tcp -p tcp -d 10.200.1.201/32 --dport 9000 -j KUBE-SVC-KBDEBIL6IU6WL7RF',
    '-A KUBE-SERVICES -m comment --comment "kube-system/kube-ops-view:http cluster IP" -m tcp -p tcp -d 10.200.1.253/32 --dport 8080 -j KUBE-SVC-7EJNTS7AENER2WX5',
  ],
};
const sep = { chain: "KUBE-SEP-TBW2IYJKUCAC7GB3", rules: ['-A KUBE-SEP-TBW2IYJKUCAC7GB3 -p tcp -m comment --comment "default/svc-clusterip:svc-webport" -m tcp -j DNAT --to-destination 10.10.1.2:80'] };

const matches = (chain: typeof services, term: string) => chainMatches(chain, term, searchPattern(term));

describe("ruleset search", () => {
  it("finds an address or a port only as a whole token", () => {
    expect(matches(services, "10.200.1.201")).toBe(true);
    expect(matches(services, "10.200.1.20")).toBe(false);
    expect(matches(services, "9000")).toBe(true);
    expect(matches(services, "900")).toBe(false);
    expect(matches(sep, "80")).toBe(true);
    expect(matches(services, "80")).toBe(false); // 8080 is another port
  });

  it("finds chains by part of their name, and the chains that jump to a named chain", () => {
    expect(matches(sep, "kube-sep")).toBe(true);
    expect(matches(services, "KUBE-SVC-KBDEBIL6IU6WL7RF")).toBe(true);
    expect(matches(sep, "KUBE-SVC-KBDEBIL6IU6WL7RF")).toBe(false);
  });

  it("keeps every chain for an empty search and treats regex characters literally", () => {
    expect(searchPattern("  ")).toBeNull();
    expect(matches(sep, "")).toBe(true);
    expect(matches(services, "10.200.1.2.1")).toBe(false);
    expect(() => searchPattern("KUBE-(SVC")).not.toThrow();
  });
});
