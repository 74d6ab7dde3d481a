/**
 * One capture of a node: its kube-proxy rules per address family (iptables or nftables mode) and its conntrack
 * state, as uploads built by lib/capture, plus the problems met on the way.
 */
import { randomUUID } from "node:crypto";
import { buildNftCapture, type BuiltCapture } from "../../../lib/capture/build-capture-upload";
import type { ConntrackSample } from "../../../lib/contracts/capture";
import { captureConntrack, type CaptureProblem } from "./capture-conntrack";
import { captureIptables } from "./capture-iptables";
import { captureNftTable } from "./capture-nft";
import { detectProxyMode, type IptablesBackend } from "./detect-backend";
import type { CommandRunner } from "./run-command";

/** Who is capturing. */
export interface NodeIdentity {
  cluster: string;
  node: string;
  role?: "control-plane" | "worker";
}

/** A finished capture. `rulesets` is empty when the rules could not be read (see `problems`). */
export interface NodeCapture {
  /** When the kernel's rules were read: the moment before the first dump command started. */
  capturedAt: Date;
  rulesets: BuiltCapture[];
  conntrack: ConntrackSample | null;
  problems: CaptureProblem[];
}

/**
 * Reads the node's rules and conntrack state through `runner`. `bodies.keepBody(family, digest)` says which chain
 * bodies of iptables rules to keep (those the server may lack), `bodies.storeBody` keeps them; digests and counters
 * are kept for every chain. nftables listings are small and keep their bodies in `bodiesByDigest`.
 */
export async function captureNode(
  runner: CommandRunner,
  identity: NodeIdentity,
  backend: IptablesBackend,
  now: () => Date,
  bodies: { keepBody(family: "ipv4" | "ipv6", digest: string): boolean; storeBody(digest: string, body: string): void; saveTimeoutMs?: number },
): Promise<NodeCapture> {
  const capturedAt = now();
  const problems: CaptureProblem[] = [];
  const rulesets: BuiltCapture[] = [];
  // The IPv4 and IPv6 halves of one capture share its id (the server keys captures by id and family).
  const captureId = randomUUID();
  const meta = (family: "ipv4" | "ipv6", captureBackend: BuiltCapture["upload"]["backend"]) => ({
    captureId,
    cluster: identity.cluster,
    node: identity.node,
    capturedAt: capturedAt.toISOString(),
    backend: captureBackend,
    family,
  });

  const v4 = await captureIptables(runner, { ...meta("ipv4", backend), family: "ipv4" }, { ...bodies, keepBody: (digest) => bodies.keepBody("ipv4", digest) });
  if (!v4.ok) problems.push({ msg: v4.msg, cause: v4.cause });
  const mode = await detectProxyMode(runner, v4.ok && v4.hasKubeServices);
  if (mode === "iptables") {
    if (v4.ok) rulesets.push(v4.capture);
    const v6 = await captureIptables(runner, { ...meta("ipv6", backend), family: "ipv6" }, { ...bodies, keepBody: (digest) => bodies.keepBody("ipv6", digest) });
    if (!v6.ok) problems.push({ msg: v6.msg, cause: v6.cause });
    // Saving creates an empty ip6 nat table on nf_tables; only a family with rules is a ruleset worth keeping.
    else if (v6.hasRules) rulesets.push(v6.capture);
  } else {
    for (const [nftFamily, family] of [["ip", "ipv4"], ["ip6", "ipv6"]] as const) {
      const listed = await captureNftTable(runner, nftFamily);
      if (!listed.ok) problems.push({ msg: listed.msg, cause: listed.cause });
      else if (listed.listing !== null) {
        const built = buildNftCapture(listed.listing, meta(family, "nftables"));
        if (built.ok) rulesets.push(built.capture);
        else problems.push({ msg: `nft list table ${nftFamily} kube-proxy output unreadable`, cause: `line ${built.error.line}: ${built.error.reason}` });
      }
    }
  }
  if (identity.role) for (const r of rulesets) r.upload.role = identity.role;
  const conntrack = await captureConntrack(runner);
  problems.push(...conntrack.problems);
  return { capturedAt, rulesets, conntrack: conntrack.sample, problems };
}
