/**
 * Which netfilter backend and which kube-proxy mode this node runs.
 *
 * iptables 1.8 ships two binaries behind one name: `iptables-legacy` (the old xtables kernel API) and
 * `iptables-nft` (the same rule language stored as nftables objects). Both print their flavour in the version line:
 * `iptables-save v1.8.9 (nf_tables)` or `(legacy)`. kube-proxy in iptables mode uses whichever the node's
 * iptables is, so the capture does too; kube-proxy in nftables mode (v1.31+) owns `table ip kube-proxy` instead.
 */
import type { CommandRunner } from "./run-command";

/** The iptables flavour of the node: what `iptables-save` talks to. */
export type IptablesBackend = "iptables-nft" | "iptables-legacy";

/** kube-proxy's mode as seen in the kernel. */
export type ProxyMode = "iptables" | "nftables";

/** Reads the iptables flavour from `iptables-save --version`, else `iptables -V`; null when neither runs. */
export async function detectIptablesBackend(runner: CommandRunner): Promise<IptablesBackend | null> {
  for (const [cmd, args] of [["iptables-save", ["--version"]], ["iptables", ["-V"]]] as const) {
    const result = await runner.run(cmd, args);
    const text = `${result.stdout}${result.stderr}`;
    if (text.includes("(nf_tables)")) return "iptables-nft";
    if (text.includes("(legacy)")) return "iptables-legacy";
    // iptables before 1.8 has only the legacy backend and prints no flavour.
    if (result.code === 0 && /v1\.[0-7]\./.test(text)) return "iptables-legacy";
  }
  return null;
}

/**
 * kube-proxy's mode: a KUBE-SERVICES chain in the nat table means iptables mode; otherwise an existing
 * `table ip kube-proxy` means nftables mode. A node with neither (kube-proxy not synced yet) counts as iptables.
 */
export async function detectProxyMode(runner: CommandRunner, natHasKubeServices: boolean): Promise<ProxyMode> {
  if (natHasKubeServices) return "iptables";
  const listed = await runner.run("nft", ["list", "table", "ip", "kube-proxy"]);
  return listed.code === 0 ? "nftables" : "iptables";
}
