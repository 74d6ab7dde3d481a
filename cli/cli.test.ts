import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(__dirname, "..");
const seed = (name: string) => join(root, "tests/fixtures/seed", name);

/** Runs `natwatch …` the way a user does, through the bin script; resolves with status and output. */
async function natwatch(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = run(process.execPath, [join(root, "bin/natwatch.mjs"), ...args], { cwd: root, maxBuffer: 64 << 20 });
  if (stdin !== undefined) {
    child.child.stdin!.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("natwatch explain", () => {
  it("explains the seed's ClusterIP service: three endpoints at one third each, every name verified", async () => {
    const { code, stdout } = await natwatch(["explain", "--json", seed("clusterip.iptables-save.txt")]);
    expect(code).toBe(0);
    const { servicePorts, problems } = JSON.parse(stdout);
    const web = servicePorts.find((p: { name: string }) => p.name === "default/svc-clusterip:svc-webport");
    expect(web).toMatchObject({ protocol: "tcp", svcChain: "KUBE-SVC-KBDEBIL6IU6WL7RF", chainVerified: true, clusterIPs: ["10.200.1.201:9000"], nodePorts: [] });
    expect(web.endpoints.map((e: { address: string }) => e.address)).toEqual(["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"]);
    expect(web.endpoints[0]).toMatchObject({ sepChain: "KUBE-SEP-TBW2IYJKUCAC7GB3", chainVerified: true, probability: 0.33333333349, packets: 35 });
    for (const endpoint of web.endpoints) expect(endpoint.share).toBeCloseTo(1 / 3, 6);
    expect(problems).toEqual([]);
  });

  it("reads stdin with `-`, as in `iptables-save -c -t nat | natwatch explain -`", async () => {
    const { readFileSync } = await import("node:fs");
    const { code, stdout } = await natwatch(["explain", "-"], readFileSync(seed("nodeport.iptables-save.txt"), "utf8"));
    expect(code).toBe(0);
    expect(stdout).toContain("default/svc-clusterip:svc-webport (tcp)");
    expect(stdout).toMatch(/node-port :30007: KUBE-NODEPORTS → KUBE-EXT-KBDEBIL6IU6WL7RF → KUBE-SVC-KBDEBIL6IU6WL7RF/);
  });

  it("explains nftables output too", async () => {
    const { code, stdout } = await natwatch(["explain", "--json", join(root, "../shared/corpus/nftables/002_TestSyncProxyRulesRepeated_01_initial.nft")]);
    expect(code).toBe(0);
    const names = JSON.parse(stdout).servicePorts.map((p: { name: string }) => p.name);
    expect(names).toEqual(["ns1/svc1:p80", "ns2/svc2:p8080"]);
  });

  it("exits 2 with a one-line reason naming the line on unreadable input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "natwatch-cli-"));
    const file = join(dir, "broken.txt");
    writeFileSync(file, '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m comment --comment "unterminated\nCOMMIT\n');
    const { code, stdout, stderr } = await natwatch(["explain", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`broken\\.txt:3:\\d+: .*quote`));
  });

  it("exits 2 for a missing file", async () => {
    const { code, stderr } = await natwatch(["explain", "/nonexistent/dump.txt"]);
    expect(code).toBe(2);
    expect(stderr).toContain("/nonexistent/dump.txt: cannot read (ENOENT)");
  });
});

describe("natwatch diff", () => {
  it("finds the NodePort paths the seed added (any address and localhost), and nothing else", async () => {
    const { code, stdout } = await natwatch(["diff", "--json", seed("clusterip.iptables-save.txt"), seed("nodeport.iptables-save.txt")]);
    expect(code).toBe(0);
    const { changes } = JSON.parse(stdout);
    expect(changes.map((c: { servicePort: string; kind: string }) => [c.servicePort, c.kind])).toEqual([
      ["default/svc-clusterip:svc-webport", "path-added"],
      ["default/svc-clusterip:svc-webport", "path-added"],
    ]);
    expect(changes.map((c: { path: { destination: string } }) => c.path.destination).sort()).toEqual(["127.0.0.0/8:30007", ":30007"]);
    for (const change of changes) {
      expect(change.path).toMatchObject({ kind: "node-port", chains: ["KUBE-NODEPORTS", "KUBE-EXT-KBDEBIL6IU6WL7RF", "KUBE-SVC-KBDEBIL6IU6WL7RF"] });
    }
  });

  it("reports a pod restart as an endpoint replaced", async () => {
    const { readFileSync } = await import("node:fs");
    const before = readFileSync(seed("clusterip.iptables-save.txt"), "utf8");
    const dir = mkdtempSync(join(tmpdir(), "natwatch-cli-"));
    // webpod2 restarted: 10.10.2.2 → 10.10.2.5. (Only addresses are rewritten here, so the SEP chain keeps its old
    // name; the diff goes by endpoint address, not by chain name.)
    const after = before.replaceAll("10.10.2.2", "10.10.2.5");
    writeFileSync(join(dir, "after.txt"), after);
    const { code, stdout } = await natwatch(["diff", "--json", seed("clusterip.iptables-save.txt"), join(dir, "after.txt")]);
    expect(code).toBe(0);
    const web = JSON.parse(stdout).changes.filter((c: { servicePort: string }) => c.servicePort === "default/svc-clusterip:svc-webport");
    expect(web.map((c: { kind: string }) => c.kind)).toEqual(["endpoint-removed", "endpoint-added"]);
    expect(web[0]).toMatchObject({ endpoint: { address: "10.10.2.2:80" }, replacedBy: "10.10.2.5:80" });
    expect(web[1]).toMatchObject({ endpoint: { address: "10.10.2.5:80" }, replaces: "10.10.2.2:80" });
  });

  it("prints the changes as text without --json", async () => {
    const { code, stdout } = await natwatch(["diff", seed("clusterip.iptables-save.txt"), seed("clusterip.iptables-save.txt")]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe("no service-level changes");
  });

  it("exits 2 on usage errors", async () => {
    expect((await natwatch(["diff", seed("clusterip.iptables-save.txt")])).code).toBe(2);
    expect((await natwatch(["frobnicate"])).code).toBe(2);
  });
});
