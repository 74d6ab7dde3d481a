/**
 * Problems a user should see: the seed's real dump, tampered with the way a broken node or a hand edit would.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import { buildProxyModel } from "./build-service-model";
import type { ProxyModel } from "./types";

const seedDump = readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../tests/fixtures/seed/clusterip.iptables-save.txt"),
  "utf8",
);

function modelOf(text: string): ProxyModel {
  const parsed = parseIptablesSave(text);
  if (!parsed.ok) throw new Error(`${parsed.error.reason} at line ${parsed.error.line}`);
  return buildProxyModel(parsed.dump);
}

/** 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

const web = (model: ProxyModel) => model.servicePorts.find((p) => p.name === "default/svc-clusterip:svc-webport")!;

describe("problems of a tampered dump", () => {
  // A renamed endpoint chain, an endpoint chain removed while a rule still jumps to it, a stray service chain.
  const tampered = seedDump
    .replaceAll("KUBE-SEP-TBW2IYJKUCAC7GB3", "KUBE-SEP-TAMPEREDNAME2345")
    .split("\n")
    .filter((l) => !/^(:|\[\d+:\d+\] -A )KUBE-SEP-DOIEFYKPESCDTYCH /.test(l))
    .flatMap((l) => (l.startsWith(":KUBE-SERVICES ") ? [l, ":KUBE-SVC-ORPHANCHAIN23456 - [0:0]"] : [l]))
    .join("\n");
  const model = modelOf(tampered);

  it("reports each with its chain and line, and nothing else", () => {
    expect(model.problems).toEqual([
      expect.objectContaining({ kind: "chain-name-mismatch", chain: "KUBE-SEP-TAMPEREDNAME2345", line: lineOf(tampered, ":KUBE-SEP-TAMPEREDNAME2345 ") }),
      expect.objectContaining({ kind: "orphan-chain", chain: "KUBE-SVC-ORPHANCHAIN23456", line: lineOf(tampered, ":KUBE-SVC-ORPHANCHAIN23456 ") }),
      expect.objectContaining({ kind: "dangling-jump", chain: "KUBE-SEP-DOIEFYKPESCDTYCH", line: lineOf(tampered, "-j KUBE-SEP-DOIEFYKPESCDTYCH") }),
    ]);
    expect(model.problems[0]!.message).toContain("KUBE-SEP-TBW2IYJKUCAC7GB3");
    expect(model.problems[0]!.servicePort).toBe("default/svc-clusterip:svc-webport");
  });

  it("marks the renamed endpoint unverified and keeps the missing one's address from its comment", () => {
    expect(web(model).endpoints.map((e) => [e.address, e.sepChain, e.chainVerified])).toEqual([
      ["10.10.1.2:80", "KUBE-SEP-TAMPEREDNAME2345", false],
      ["10.10.2.2:80", "KUBE-SEP-DOIEFYKPESCDTYCH", true],
      ["10.10.3.3:80", "KUBE-SEP-K7ALM6KJRBAYOHKX", true],
    ]);
  });

  it("does not turn an empty stray chain into a service port", () => {
    expect(model.servicePorts.some((p) => p.svcChain === "KUBE-SVC-ORPHANCHAIN23456")).toBe(false);
    expect(model.servicePorts).toHaveLength(6);
  });
});

describe("a service chain that is not the hash of the port its comments name", () => {
  const renamed = seedDump.replaceAll("KUBE-SVC-KBDEBIL6IU6WL7RF", "KUBE-SVC-AAAAAAAAAAAAAAAA");
  const model = modelOf(renamed);

  it("is reported, while the endpoint chains still prove themselves", () => {
    const port = web(model);
    expect(port.chainVerified).toBe(false);
    expect(port.endpoints.every((e) => e.chainVerified)).toBe(true);
    expect(model.problems).toEqual([
      {
        kind: "chain-name-mismatch",
        chain: "KUBE-SVC-AAAAAAAAAAAAAAAA",
        line: lineOf(renamed, ":KUBE-SVC-AAAAAAAAAAAAAAAA "),
        servicePort: "default/svc-clusterip:svc-webport",
        message: "not kube-proxy's name for default/svc-clusterip:svc-webport tcp (that is KUBE-SVC-KBDEBIL6IU6WL7RF)",
      },
    ]);
  });
});

describe("probability ladders", () => {
  it("reports an uneven ladder once, with the shares", () => {
    const model = modelOf(seedDump.replace("--probability 0.50000000000 -j KUBE-SEP-DOIEFYKPESCDTYCH", "--probability 0.25000000000 -j KUBE-SEP-DOIEFYKPESCDTYCH"));
    expect(web(model).endpoints.map((e) => Number(e.share.toFixed(4)))).toEqual([0.3333, 0.1667, 0.5]);
    const ladder = model.problems.filter((p) => p.kind === "probability-ladder");
    expect(ladder).toEqual([
      expect.objectContaining({
        chain: "KUBE-SVC-KBDEBIL6IU6WL7RF",
        line: lineOf(seedDump, "-j KUBE-SEP-TBW2IYJKUCAC7GB3"),
        message: "uneven ladder: endpoint 2 gets 16.67%, endpoint 3 gets 50.00% instead of 33.33% each",
      }),
    ]);
  });

  it("reports a ladder whose last rule has a probability (its endpoint chain is then an orphan)", () => {
    const model = modelOf(seedDump.split("\n").filter((l) => !l.includes("-j KUBE-SEP-K7ALM6KJRBAYOHKX")).join("\n"));
    expect(model.problems.map((p) => `${p.kind} ${p.chain}: ${p.message}`)).toEqual([
      "orphan-chain KUBE-SEP-K7ALM6KJRBAYOHKX: no rule jumps to this chain",
      "probability-ladder KUBE-SVC-KBDEBIL6IU6WL7RF: the last balancing rule has a probability: 33.33% of new connections match no endpoint",
    ]);
  });
});
