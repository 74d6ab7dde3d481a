import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  base32Prefix,
  endpointChainName,
  isEndpointChainName,
  nftEndpointChainNameBase,
  nftServicePortChainNameBase,
  servicePortChainName,
  splitServiceChainName,
  splitServicePortName,
  type ServiceChainPrefix,
} from "./chain-names";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus");

interface SidecarPort {
  name?: string;
  protocol?: string;
  servicePortName?: string;
  chains?: Partial<Record<"svc" | "svl" | "ext" | "fw", string>>;
  endpoints?: { ip: string; port: number; sepChain?: string; chain?: string }[];
}
interface SidecarService {
  namespace: string;
  name: string;
  ports: SidecarPort[];
}

const PREFIX: Record<string, ServiceChainPrefix> = { svc: "KUBE-SVC-", svl: "KUBE-SVL-", ext: "KUBE-EXT-", fw: "KUBE-FW-" };

/** Every (service port, chain) and (service port, endpoint, chain) pair named in the iptables sidecars. */
function sidecarNames() {
  const services: { file: string; spn: string; protocol: string; prefix: ServiceChainPrefix; chain: string }[] = [];
  const endpoints: { file: string; spn: string; protocol: string; endpoint: string; chain: string }[] = [];
  const dir = path.join(corpus, "iptables");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const sidecar = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
      services?: SidecarService[];
      servicesAfterStep?: SidecarService[];
    };
    for (const service of sidecar.services ?? sidecar.servicesAfterStep ?? []) {
      for (const port of service.ports) {
        if (port.protocol === undefined) continue;
        const spn = port.servicePortName ?? `${service.namespace}/${service.name}${port.name ? `:${port.name}` : ""}`;
        const protocol = port.protocol.toLowerCase();
        for (const [key, chain] of Object.entries(port.chains ?? {})) {
          services.push({ file, spn, protocol, prefix: PREFIX[key]!, chain });
        }
        for (const ep of port.endpoints ?? []) {
          const chain = ep.sepChain ?? ep.chain;
          if (chain === undefined) continue;
          const endpoint = ep.ip.includes(":") ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
          endpoints.push({ file, spn, protocol, endpoint, chain });
        }
      }
    }
  }
  return { services, endpoints };
}

describe("iptables chain names", () => {
  it("match the seed's chains (DESIGN.md)", () => {
    expect(servicePortChainName("KUBE-SVC-", "default/svc-clusterip:svc-webport", "tcp")).toBe("KUBE-SVC-KBDEBIL6IU6WL7RF");
    expect(servicePortChainName("KUBE-EXT-", "default/svc-clusterip:svc-webport", "tcp")).toBe("KUBE-EXT-KBDEBIL6IU6WL7RF");
    expect(endpointChainName("default/svc-clusterip:svc-webport", "tcp", "10.10.1.2:80")).toBe("KUBE-SEP-TBW2IYJKUCAC7GB3");
    expect(endpointChainName("default/svc-clusterip:svc-webport", "tcp", "10.10.2.2:80")).toBe("KUBE-SEP-DOIEFYKPESCDTYCH");
    expect(endpointChainName("default/svc-clusterip:svc-webport", "tcp", "10.10.3.3:80")).toBe("KUBE-SEP-K7ALM6KJRBAYOHKX");
  });

  it("hash the protocol in lower case, as kube-proxy does", () => {
    expect(servicePortChainName("KUBE-SVC-", "default/svc-clusterip:svc-webport", "TCP")).toBe("KUBE-SVC-KBDEBIL6IU6WL7RF");
    expect(servicePortChainName("KUBE-SVC-", "kube-system/kube-dns:dns", "udp")).toBe("KUBE-SVC-TCOU7JCQXEZGVUNU");
    expect(servicePortChainName("KUBE-SVC-", "kube-system/kube-dns:dns", "tcp")).not.toBe("KUBE-SVC-TCOU7JCQXEZGVUNU");
  });

  const { services, endpoints } = sidecarNames();

  it("equal every service chain named in the corpus sidecars", () => {
    expect(services.length).toBeGreaterThan(100);
    for (const { file, spn, protocol, prefix, chain } of services) {
      expect(servicePortChainName(prefix, spn, protocol), `${file} ${spn}`).toBe(chain);
    }
  });

  it("equal every endpoint chain named in the corpus sidecars, IPv6 included", () => {
    expect(endpoints.length).toBeGreaterThan(50);
    expect(endpoints.some((e) => e.endpoint.startsWith("["))).toBe(true);
    for (const { file, spn, protocol, endpoint, chain } of endpoints) {
      expect(endpointChainName(spn, protocol, endpoint), `${file} ${spn} ${endpoint}`).toBe(chain);
      expect(isEndpointChainName(chain, spn, protocol, endpoint), `${file} ${spn} ${endpoint}`).toBe(true);
    }
  });

  it("verify an endpoint chain only when every character of its hash is kube-proxy's", () => {
    const spn = "default/svc-clusterip:svc-webport";
    expect(isEndpointChainName("KUBE-SEP-TBW2IYJKUCAC7GB3", spn, "TCP", "10.10.1.2:80")).toBe(true);
    for (const wrong of ["KUBE-SEP-TBW2IYJKUCAC7GB4", "KUBE-SEP-ABW2IYJKUCAC7GB3", "KUBE-SEP-TBW2IYJKUCAC7GB", "KUBE-SVC-TBW2IYJKUCAC7GB3", "KUBE-SEP-TBW2IYJKUCAC7GB33"]) {
      expect(isEndpointChainName(wrong, spn, "tcp", "10.10.1.2:80"), wrong).toBe(false);
    }
    expect(isEndpointChainName("KUBE-SEP-TBW2IYJKUCAC7GB3", spn, "tcp", "10.10.1.3:80")).toBe(false);
    // Non-ASCII text is hashed as UTF-8, like Go's strings.
    const odd = "ns/süß:p";
    expect(isEndpointChainName(endpointChainName(odd, "udp", "[fd00::1]:53"), odd, "udp", "[fd00::1]:53")).toBe(true);
    expect(endpointChainName(odd, "udp", "[fd00::1]:53")).toBe(`KUBE-SEP-${base32Prefix(createHash("sha256").update(`${odd}udp[fd00::1]:53`).digest(), 16)}`);
  });

  it("are recognised and split into prefix and hash", () => {
    expect(splitServiceChainName("KUBE-FW-NUKIZ6OKUXPJNT4C")).toEqual({ prefix: "KUBE-FW-", hash: "NUKIZ6OKUXPJNT4C" });
    expect(splitServiceChainName("KUBE-XLB-QKNQQNIN727HO3XU")).toEqual({ prefix: "KUBE-XLB-", hash: "QKNQQNIN727HO3XU" });
    expect(splitServiceChainName("KUBE-SEP-TBW2IYJKUCAC7GB3")).toBeNull();
    expect(splitServiceChainName("KUBE-SVC-lowercase1234567")).toBeNull();
    expect(splitServiceChainName("KUBE-SERVICES")).toBeNull();
  });
});

describe("service port names", () => {
  it("split named, unnamed and old empty-port names", () => {
    expect(splitServicePortName("kube-system/kube-dns:dns-tcp")).toEqual({ namespace: "kube-system", service: "kube-dns", portName: "dns-tcp" });
    expect(splitServicePortName("ns1/svc1")).toEqual({ namespace: "ns1", service: "svc1", portName: "" });
    expect(splitServicePortName("default/test-svc:")).toEqual({ namespace: "default", service: "test-svc", portName: "" });
  });
});

describe("base32", () => {
  it("uses the RFC 4648 alphabet, most significant bits first", () => {
    // RFC 4648 test vector: BASE32("foobar") = "MZXW6YTBOI======"
    expect(base32Prefix(new TextEncoder().encode("foobar"), 10)).toBe("MZXW6YTBOI");
    expect(base32Prefix(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 8)).toBe("77777777");
  });
});

describe("nftables chain name bases", () => {
  /** `015_chain_name_unit_tests.txt`: `<ns/name:port> <proto> [<endpoint>] => <expected>`, `(same)` repeating the name. */
  function nftCases() {
    const text = readFileSync(path.join(corpus, "nftables/015_chain_name_unit_tests.txt"), "utf8");
    const cases: { spn: string; protocol: string; endpoint: string | null; expected: string }[] = [];
    let previous = "";
    for (const line of text.split("\n")) {
      if (line.startsWith("#") || !line.includes(" => ")) continue;
      const [left, expected] = line.split(" => ") as [string, string];
      const words = left.trim().split(/\s+/);
      const spn = words[0] === "(same)" ? previous : words[0]!;
      previous = spn;
      cases.push({ spn, protocol: words[1]!, endpoint: words[2] ?? null, expected });
    }
    return cases;
  }

  it("equal kube-proxy's expectations, truncation included", () => {
    const cases = nftCases();
    expect(cases).toHaveLength(9);
    for (const { spn, protocol, endpoint, expected } of cases) {
      const actual = endpoint === null ? nftServicePortChainNameBase(spn, protocol) : nftEndpointChainNameBase(spn, protocol, endpoint);
      expect(actual, `${spn} ${protocol} ${endpoint ?? ""}`).toBe(expected);
    }
    const truncated = cases.filter((c) => c.expected.endsWith("..."));
    expect(truncated.length).toBe(2);
    for (const c of truncated) expect(c.expected.length).toBe(240);
  });

  it("equal the names in the nftables index", () => {
    expect(nftServicePortChainNameBase("testing/service:http", "tcp")).toBe("P4ZYZVCF-testing/service/tcp/http");
    expect(nftEndpointChainNameBase("testing/service:http", "tcp", "10.180.0.1:80")).toBe("JO2XBXZR-testing/service/tcp/http__10.180.0.1/80");
  });
});
