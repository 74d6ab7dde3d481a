/**
 * From captured text to a `POST /api/v1/captures` upload (lib/contracts/capture.ts). Pure: the node agent and
 * `natwatch import` both use it, and neither talks to the server here.
 *
 * Rules travel content-addressed: the manifest names every chain with the digest of its normalized body, and the
 * bodies themselves stay on the client until the server asks for them (409 `missingChains`). Counters travel apart
 * from the bodies, addressed by (chain digest, rule position), so an unchanged ruleset with busy counters is still
 * a small upload.
 */
import { chainDigest, normalizedChainBody, rulesetDigest } from "../iptables/chain-digest";
import { parseIptablesSave } from "../iptables/parse-iptables-save";
import type { IptablesDump, IptablesParseError } from "../iptables/types";
import { splitNftListing, type NftListingProblem } from "./nft-ruleset-text";
import type { CaptureBackend, CaptureUpload, ChainBodyUpload, CounterUpload, ManifestEntry } from "../contracts/capture";

/** Who captured what, when: everything of an upload that the captured text does not say. */
export interface CaptureMeta {
  captureId: string;
  cluster: string;
  node: string;
  /** ISO-8601 time the kernel state was read. */
  capturedAt: string;
  backend: CaptureBackend;
  family?: "ipv4" | "ipv6";
}

/** An upload without bodies, the bodies it may have to send, and the counters it carries. */
export interface BuiltCapture {
  /** Manifest and counters, no chain bodies: the first attempt assumes the server has them all. */
  upload: CaptureUpload;
  /** Normalized body of every chain in the manifest, by digest (chains with equal bodies share one entry). */
  bodiesByDigest: Map<string, string>;
}

export type BuildCaptureResult = { ok: true; capture: BuiltCapture } | { ok: false; error: IptablesParseError };

/**
 * Builds an upload from `iptables-save [-c]` text (any tables; nat is what natwatch models). Counters of every
 * rule that has non-zero ones are included: an importer has no previous upload to compare with, and the server
 * ignores counters that did not change. Bad input gives the parser's error (line, column, text).
 */
export function buildIptablesCapture(dumpText: string, meta: CaptureMeta): BuildCaptureResult {
  const parsed = parseIptablesSave(dumpText, meta.family ? { family: meta.family } : {});
  if (!parsed.ok) return parsed;
  return { ok: true, capture: buildCaptureFromDump(parsed.dump, meta) };
}

/** Same as `buildIptablesCapture`, from an already parsed dump. */
export function buildCaptureFromDump(dump: IptablesDump, meta: CaptureMeta): BuiltCapture {
  const manifest: ManifestEntry[] = [];
  const bodiesByDigest = new Map<string, string>();
  const counters: CounterUpload[] = [];
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      const body = normalizedChainBody(chain);
      const digest = chainDigest(chain);
      bodiesByDigest.set(digest, body);
      manifest.push({ table: table.name, chain: chain.name, policy: chain.policy, digest });
      chain.rules.forEach((rule, position) => {
        if (rule.counters && (rule.counters.packets > 0 || rule.counters.bytes > 0)) {
          counters.push({ chainDigest: digest, rule: position, packets: rule.counters.packets, bytes: rule.counters.bytes });
        }
      });
    }
  }
  manifest.sort(compareManifestEntries);
  return {
    upload: {
      ...meta,
      family: meta.family ?? dump.family,
      manifest,
      rulesetDigest: rulesetDigest(manifest),
      chains: [],
      counters,
    },
    bodiesByDigest,
  };
}

/**
 * Builds an upload from an nftables listing (`nft list table ip kube-proxy`, `nft list ruleset`) for the `nftables`
 * backend: one manifest entry per table object (see nft-ruleset-text.ts), counters of `counter` statements.
 */
export function buildNftCapture(
  listing: string,
  meta: CaptureMeta,
): { ok: true; capture: BuiltCapture } | { ok: false; error: NftListingProblem } {
  const split = splitNftListing(listing);
  if (!split.ok) return split;
  const { manifest, bodiesByDigest, counters } = split.parts;
  const family = meta.family ?? (manifest.some((e) => e.table.startsWith("ip6 ")) ? "ipv6" : "ipv4");
  return {
    ok: true,
    capture: {
      upload: { ...meta, family, manifest, rulesetDigest: rulesetDigest(manifest), chains: [], counters: counters.filter((c) => c.packets > 0 || c.bytes > 0) },
      bodiesByDigest,
    },
  };
}

/** The same capture with the bodies the server asked for (its 409 `detail.missingChains`). */
export function withChainBodies(
  upload: CaptureUpload,
  bodiesByDigest: ReadonlyMap<string, string>,
  digests: readonly string[],
): CaptureUpload {
  const chains: ChainBodyUpload[] = [];
  for (const digest of new Set(digests)) {
    const body = bodiesByDigest.get(digest);
    if (body === undefined) throw new Error(`the server asked for chain ${digest}, which this capture does not have`);
    chains.push({ digest, body });
  }
  return { ...upload, chains };
}

/**
 * The shortest form of an upload whose ruleset the server already has: the ruleset digest instead of the manifest.
 * This is what makes an unchanged capture a few hundred bytes.
 */
export function unchangedCaptureUpload(upload: CaptureUpload): CaptureUpload {
  const { manifest, chains: _chains, ...rest } = upload;
  const digest = upload.rulesetDigest ?? (manifest ? rulesetDigest(manifest) : undefined);
  if (!digest) throw new Error("an upload without manifest needs a ruleset digest");
  return { ...rest, rulesetDigest: digest };
}

/**
 * Counters of `current` that differ from `previous` (the counters of the agent's last accepted upload), as the
 * wire contract wants them. A counter of a chain that was rewritten has a new chain digest, so it is always sent.
 */
export function changedCounters(current: readonly CounterUpload[], previous: readonly CounterUpload[]): CounterUpload[] {
  const before = new Map(previous.map((c) => [`${c.chainDigest}/${c.rule}`, c]));
  return current.filter((c) => {
    const old = before.get(`${c.chainDigest}/${c.rule}`);
    return !old || old.packets !== c.packets || old.bytes !== c.bytes;
  });
}

/** Code-unit order by (table, chain), the order `rulesetDigest` hashes in. */
export function compareManifestEntries(a: ManifestEntry, b: ManifestEntry): number {
  if (a.table !== b.table) return a.table < b.table ? -1 : 1;
  if (a.chain !== b.chain) return a.chain < b.chain ? -1 : 1;
  return 0;
}
