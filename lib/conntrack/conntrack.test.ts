import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createFlowAggregator } from "./aggregate-flows";
import { parseConntrackStats, parseProcConntrackStats } from "./parse-stats";

const fixture = (name: string) => readFileSync(resolve(__dirname, "../../tests/fixtures/conntrack", name), "utf8");

function aggregate(text: string, maxKeys?: number) {
  const aggregator = createFlowAggregator({ maxKeys });
  const errors = text.split("\n").map((l) => aggregator.add(l)).filter(Boolean);
  return { flows: aggregator.flows(), stats: aggregator.stats(), errors };
}

describe("conntrack flow aggregation", () => {
  it.each(["list.txt", "list-extended.txt"])("maps DNAT'd flows of %s to VIP → endpoint with their state", (name) => {
    const { flows, errors } = aggregate(fixture(name));
    expect(errors).toEqual([]);
    expect(flows).toEqual([
      { protocol: "udp", destination: "10.96.0.10:53", endpoint: "10.99.0.2:5353", state: "UNREPLIED", count: 1 },
      { protocol: "tcp", destination: "10.96.0.10:9000", endpoint: "10.99.0.2:8080", state: "TIME_WAIT", count: 1 },
    ]);
  });

  it("counts repeated flows and skips flows that were not translated", () => {
    const line = (sport: number, state: string) =>
      `tcp      6 431999 ${state} src=10.10.0.5 dst=10.200.1.201 sport=${sport} dport=9000 src=10.10.1.2 dst=10.10.0.5 sport=80 dport=${sport} [ASSURED] mark=0 use=1`;
    const direct = "tcp      6 300 ESTABLISHED src=10.10.0.5 dst=10.10.1.2 sport=5 dport=80 src=10.10.1.2 dst=10.10.0.5 sport=80 dport=5 [ASSURED] mark=0 use=1";
    const icmp = "icmp     1 29 src=10.10.0.5 dst=10.10.1.2 type=8 code=0 id=7 src=10.10.1.2 dst=10.10.0.5 type=0 code=0 id=7 mark=0 use=1";
    const { flows, stats } = aggregate([line(1, "ESTABLISHED"), line(2, "ESTABLISHED"), line(3, "TIME_WAIT"), direct, icmp].join("\n"));
    expect(flows.map((f) => [f.state, f.count])).toEqual([["ESTABLISHED", 2], ["TIME_WAIT", 1]]);
    expect(stats).toEqual({ entries: 5, counted: 3, overflow: 0 });
  });

  it("brackets IPv6 addresses", () => {
    const { flows } = aggregate(
      "tcp      6 10 ESTABLISHED src=fd00::5 dst=fd00:200::1 sport=1 dport=80 src=fd00:10::2 dst=fd00::5 sport=8080 dport=1 [ASSURED] mark=0 use=1",
    );
    expect(flows[0]).toMatchObject({ destination: "[fd00:200::1]:80", endpoint: "[fd00:10::2]:8080" });
  });

  it("bounds memory: past the key cap, flows are counted as overflow", () => {
    const lines = Array.from({ length: 10 }, (_, i) =>
      `tcp      6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.${i} sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1 mark=0 use=1`,
    );
    const { flows, stats } = aggregate(lines.join("\n"), 4);
    expect(flows).toHaveLength(4);
    expect(stats.overflow).toBe(6);
  });

  it("reports lines that are not conntrack entries with their line number", () => {
    const { errors } = aggregate("tcp 6 1 ESTABLISHED src=1.1.1.1\nconntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n");
    expect(errors.map((e) => [e!.line, e!.reason])).toEqual([
      [1, "missing src/dst/sport/dport"],
      [2, "not a conntrack entry"],
    ]);
  });
});

describe("conntrack statistics", () => {
  it("reads conntrack -S per CPU", () => {
    const result = parseConntrackStats(fixture("stats.txt"));
    expect(result.ok && result.cpus).toEqual([
      { cpu: 0, found: 0, invalid: 3, insert: 0, insert_failed: 2, drop: 1, early_drop: 0, error: 0, search_restart: 7 },
      { cpu: 1, found: 0, invalid: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, error: 0, search_restart: 0 },
    ]);
  });

  it("reads /proc/net/stat/nf_conntrack hex columns to the same figures", () => {
    const result = parseProcConntrackStats(fixture("proc-stat.txt"));
    expect(result.ok && result.cpus[0]).toEqual({ cpu: 0, found: 0, invalid: 3, insert: 0, insert_failed: 2, drop: 1, early_drop: 0, search_restart: 7 });
  });

  it("refuses garbage with the line", () => {
    const bad = parseConntrackStats("cpu=0 found=x\n");
    expect(bad).toMatchObject({ ok: false, error: { line: 1, reason: "not a name=number field: found=x" } });
    expect(parseProcConntrackStats("hello")).toMatchObject({ ok: false, error: { line: 1 } });
  });
});
