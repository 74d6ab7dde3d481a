/**
 * How a stored ruleset is named. The wire's `rulesetDigest` (lib/iptables `rulesetDigest`) covers the manifest
 * only, which is all an agent needs to say "same as last time". The stored `Ruleset.digest` must also cover the
 * address family and the kube-proxy mode, because the derived model depends on them (an empty IPv4 and an empty
 * IPv6 nat table have the same manifest), so it is a digest of the three. Both are lower-case hex sha256.
 */
import { createHash } from "node:crypto";
import type { CaptureBackend } from "../../contracts/capture";
import type { ProxyMode } from "../../kube-proxy/types";

/** The kube-proxy mode a backend's rules are read as. iptables-legacy and iptables-nft print the same text. */
export function proxyModeOf(backend: CaptureBackend): ProxyMode {
  if (backend === "nftables") return "nftables";
  if (backend === "ipvs") return "ipvs";
  return "iptables";
}

/** `Ruleset.digest` of a manifest digest captured in `family` and read in `mode`. */
export function storedRulesetDigest(family: "ipv4" | "ipv6", mode: ProxyMode, manifestDigest: string): string {
  return createHash("sha256").update(`natwatch-ruleset ${family} ${mode} ${manifestDigest}`, "utf8").digest("hex");
}
