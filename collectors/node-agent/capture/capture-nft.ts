/** `nft list table ip kube-proxy` (and `ip6`): the whole ruleset of kube-proxy's nftables mode, counters included. */
import type { CommandRunner } from "./run-command";

export type NftCaptureResult = { ok: true; listing: string | null } | { ok: false; msg: string; cause: string };

/** The table's listing, or null when the family has no kube-proxy table (an IPv4-only cluster has no `ip6` one). */
export async function captureNftTable(runner: CommandRunner, family: "ip" | "ip6"): Promise<NftCaptureResult> {
  const result = await runner.run("nft", ["list", "table", family, "kube-proxy"]);
  if (result.code === 0) return { ok: true, listing: result.stdout };
  // nft says "No such file or directory" for a missing table; anything else is a real failure.
  if (/No such file or directory/.test(result.stderr)) return { ok: true, listing: null };
  return { ok: false, msg: `nft list table ${family} kube-proxy failed (exit ${result.code})`, cause: result.stderr.trim() };
}
