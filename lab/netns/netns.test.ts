// Runs as root: creates real network namespaces, loads rules with iptables-restore inside them, deletes them.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createNetns, deleteNetns, execInNetns, listNetns, removeLeftovers, withNetns } from "./netns";
import { ensureNfacctCounters, listNfacctCounters, nfacctNamesIn } from "./nfacct";

const RULES = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-KBDEBIL6IU6WL7RF - [0:0]
-A KUBE-SERVICES -m comment --comment "default/svc-clusterip:svc-webport cluster IP" -m tcp -p tcp -d 10.200.1.201 --dport 9000 -j KUBE-SVC-KBDEBIL6IU6WL7RF
COMMIT
`;

/** A pid that certainly belongs to no running process: one that has just exited. */
function deadPid(): number {
  const child = spawnSync("true");
  return child.pid ?? 999_999;
}

describe("network namespace helpers", () => {
  it("loads rules into a throwaway namespace, reads them back, and deletes the namespace", async () => {
    let used = "";
    const saved = await withNetns("netns-test", async (ns) => {
      used = ns;
      expect(await listNetns()).toContain(ns);
      const restore = await execInNetns(ns, "iptables-restore", [], { input: RULES });
      expect(restore).toMatchObject({ code: 0, stderr: "" });
      return (await execInNetns(ns, "iptables-save", ["-t", "nat"])).stdout;
    });
    expect(used).toMatch(new RegExp(`^natwatch-netns-test-${process.pid}-\\d+$`));
    // The kernel's version of the rule: /32 added, options in canonical order.
    expect(saved).toContain(
      '-A KUBE-SERVICES -d 10.200.1.201/32 -p tcp -m comment --comment "default/svc-clusterip:svc-webport cluster IP" -m tcp --dport 9000 -j KUBE-SVC-KBDEBIL6IU6WL7RF',
    );
    expect(await listNetns()).not.toContain(used);
  });

  it("starts each namespace with empty tables and its loopback up", async () => {
    await withNetns("netns-test", async (ns) => {
      expect((await execInNetns(ns, "iptables-save", ["-t", "nat"])).stdout).not.toContain("KUBE-");
      const lo = await execInNetns(ns, "ip", ["-o", "link", "show", "lo"]);
      expect(lo.stdout).toMatch(/state UNKNOWN|<LOOPBACK,UP/);
    });
  });

  it("reports a refused restore as a result with iptables' message, not an exception", async () => {
    await withNetns("netns-test", async (ns) => {
      const missingChain = await execInNetns(ns, "iptables-restore", [], { input: "*nat\n-A NO-SUCH-CHAIN -j ACCEPT\nCOMMIT\n" });
      expect(missingChain.code).toBe(1);
      expect(missingChain.stderr).toContain("line 2 failed");
      // --test only parses: with the nf_tables backend it does not notice the missing chain, but bad options fail.
      const badOption = await execInNetns(ns, "iptables-restore", ["--test"], {
        input: "*nat\n:X - [0:0]\n-A X --bogus-opt 1 -j ACCEPT\nCOMMIT\n",
      });
      expect(badOption.code).toBe(2);
      expect(badOption.stderr).toContain('unknown option "--bogus-opt"');
    });
  });

  it("deletes the namespace even when the work inside fails", async () => {
    let used = "";
    await expect(
      withNetns("netns-test", async (ns) => {
        used = ns;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await listNetns()).not.toContain(used);
  });

  it("removes namespaces left by a dead process and keeps those of live ones", async () => {
    const leftover = `natwatch-netns-leftover-${deadPid()}-0`;
    const live = `natwatch-netns-leftover-${process.pid}-0`;
    await createNetns(leftover);
    await createNetns(live);
    try {
      const removed = await removeLeftovers("netns-leftover");
      expect(removed).toEqual([leftover]);
      const names = await listNetns();
      expect(names).not.toContain(leftover);
      expect(names).toContain(live);
    } finally {
      await deleteNetns(live);
      if ((await listNetns()).includes(leftover)) await deleteNetns(leftover);
    }
  });

  it("refuses names that would reach ip(8) as options", async () => {
    await expect(createNetns("-all")).rejects.toThrow("invalid network namespace name");
  });

  it("creates kube-proxy's nfacct objects per namespace so rules naming them load", async () => {
    const rule = "*nat\n:KUBE-NODEPORTS - [0:0]\n-A KUBE-NODEPORTS -m tcp -p tcp -d 127.0.0.0/8 --dport 30007 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j ACCEPT\nCOMMIT\n";
    expect(nfacctNamesIn(rule)).toEqual(["localhost_nps_accepted_pkts"]);
    await withNetns("netns-test", async (ns) => {
      const before = await execInNetns(ns, "iptables-restore", [], { input: rule });
      expect(before.stderr).toContain("RULE_APPEND failed (No such file or directory)");
      const made = await ensureNfacctCounters(ns, ["localhost_nps_accepted_pkts"]);
      const tool = await listNfacctCounters(ns);
      if (tool === null) {
        // Without the nfacct tool nothing can be made; kube-proxy then writes no nfacct rules at all.
        expect(made).toEqual([]);
        return;
      }
      expect(made).toEqual(["localhost_nps_accepted_pkts"]);
      expect(tool).toEqual(["localhost_nps_accepted_pkts"]);
      expect(await execInNetns(ns, "iptables-restore", [], { input: rule })).toMatchObject({ code: 0, stderr: "" });
    });
  });
});
