import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nftEndpointChainNameBase, nftServicePortChainNameBase } from "../kube-proxy/chain-names";
import { parseNftChainName } from "./read-nft-chain-name";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus/nftables");

interface NameCase {
  servicePortName: string;
  protocol: string;
  endpoint: string | null;
  expected: string;
  line: number;
}

/** `015_chain_name_unit_tests.txt`: `<ns>/<name>:<port> <proto> [<endpoint>] => <expected>`, `(same)` repeating the port name. */
function readNameCases(): NameCase[] {
  const cases: NameCase[] = [];
  let previous = "";
  readFileSync(path.join(corpus, "015_chain_name_unit_tests.txt"), "utf8")
    .split("\n")
    .forEach((text, index) => {
      if (text.trim() === "" || text.startsWith("#")) return;
      const [input, expected] = text.split(" => ");
      const [spn, protocol, endpoint] = input!.trim().split(/\s+/);
      const servicePortName = spn === "(same)" ? previous : spn!;
      previous = servicePortName;
      cases.push({ servicePortName, protocol: protocol!, endpoint: endpoint ?? null, expected: expected!.trim(), line: index + 1 });
    });
  return cases;
}

describe("kube-proxy nftables chain names, computed and read back", () => {
  const cases = readNameCases();

  it("reads every case of kube-proxy's chain name unit tests", () => {
    expect(cases).toHaveLength(9);
    expect(cases.filter((c) => c.endpoint !== null)).toHaveLength(6);
  });

  it.each(cases)("line $line: $servicePortName $protocol $endpoint", ({ servicePortName, protocol, endpoint, expected }) => {
    const base =
      endpoint === null
        ? nftServicePortChainNameBase(servicePortName, protocol)
        : nftEndpointChainNameBase(servicePortName, protocol, endpoint);
    expect(base).toBe(expected);
  });

  it("cuts endpoint bases at 240 characters, so two endpoints that differ only at the end get different hashes", () => {
    const long = cases.filter((c) => c.expected.endsWith("..."));
    expect(long).toHaveLength(2);
    for (const c of long) expect(c.expected).toHaveLength(240);
    expect(long[0]!.expected.slice(9)).toBe(long[1]!.expected.slice(9));
    expect(long[0]!.expected.slice(0, 8)).not.toBe(long[1]!.expected.slice(0, 8));
  });

  it("reads a chain name back into its service port and proves it with the hash", () => {
    const parts = parseNftChainName("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
    expect(parts).toMatchObject({
      kind: "endpoint",
      servicePortName: "ns1/svc1:p80",
      protocol: "tcp",
      endpoint: "10.180.0.1/80",
      hashMatches: true,
      truncated: false,
    });
    expect(parseNftChainName("service-ULMVA6XW-ns1/svc1/tcp/p80")).toMatchObject({ kind: "service", hashMatches: true });
    // One character of the name changed: the clear text now names another port, the hash no longer fits it.
    expect(parseNftChainName("service-ULMVA6XW-ns1/svc1/tcp/p81")).toMatchObject({ portName: "p81", hashMatches: false });
  });

  it("gives an unnamed port the name kube-proxy prints, without a colon", () => {
    const base = nftServicePortChainNameBase("ns1/svc1", "tcp");
    expect(base.slice(9)).toBe("ns1/svc1/tcp/");
    expect(parseNftChainName(`service-${base}`)).toMatchObject({ servicePortName: "ns1/svc1", portName: "", hashMatches: true });
  });

  it("is not fooled by kube-proxy's helper chains or malformed names", () => {
    for (const name of ["services", "mark-for-masquerade", "service-endpoints-check", "service-lower123-ns/a/tcp/p", "endpoint-ABCDEFGH-ns/a/tcp/p", "service-ABCDEFGH-ns/a/icmp/p"]) {
      expect(parseNftChainName(name)).toBeNull();
    }
  });
});
