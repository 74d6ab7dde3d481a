/**
 * The checks of a capture's rules that need no database: the manifest is a set of chains, the ruleset digest is
 * the one the manifest gives, every uploaded body hashes to its digest, belongs to a chain of the manifest and is
 * rule text natwatch can read. Run before the transaction, so a refused upload costs no lock.
 */
import { rulesetDigest } from "../../iptables/chain-digest";
import { bodyDigest, checkChainBody, textBuilder } from "../../capture/ruleset-text";
import { parseIptablesSave } from "../../iptables/parse-iptables-save";
import { checkNftBody } from "../../capture/nft-ruleset-text";
import type { CaptureRequest } from "../../contracts/capture";
import type { ProxyMode } from "../../kube-proxy/types";
import { apiError, type ApiError } from "../http/api-error";
import type { StoredManifestEntry } from "./read-ruleset-manifest";

/** A capture's rules after the checks. */
export interface CheckedRules {
  /** The manifest digest (wire `rulesetDigest`). */
  manifestDigest: string;
  /** Sorted manifest, or null for a digest-only (unchanged) capture. */
  manifest: StoredManifestEntry[] | null;
  /** Uploaded bodies by digest, with the table of the first manifest entry naming them. */
  uploaded: Map<string, { body: string; table: string }>;
  /** Digests of `chains`, in upload order (to name the field of a body refused later). */
  uploadOrder: string[];
}

/** Checks the rules of `capture` for mode `mode`; the error names the field, the digest and the body line. */
export function checkCaptureRules(capture: CaptureRequest, mode: ProxyMode): { ok: true; rules: CheckedRules } | { ok: false; error: ApiError } {
  if (!capture.manifest) {
    if (capture.chains.length > 0) return fail(apiError(400, "chains were sent without a manifest", { field: "chains" }));
    return { ok: true, rules: { manifestDigest: capture.rulesetDigest as string, manifest: null, uploaded: new Map(), uploadOrder: [] } };
  }
  const seen = new Set<string>();
  const byDigest = new Map<string, StoredManifestEntry>();
  for (const [index, entry] of capture.manifest.entries()) {
    const key = `${entry.table}\u0000${entry.chain}`;
    if (seen.has(key)) {
      return fail(apiError(400, `manifest.${index}: chain ${entry.table}/${entry.chain} is listed twice`, { field: `manifest.${index}.chain` }));
    }
    seen.add(key);
    if (!byDigest.has(entry.digest)) byDigest.set(entry.digest, entry);
  }
  const manifestDigest = rulesetDigest(capture.manifest);
  if (capture.rulesetDigest !== undefined && capture.rulesetDigest !== manifestDigest) {
    return fail(
      apiError(400, "rulesetDigest does not match the manifest", { field: "rulesetDigest", sent: capture.rulesetDigest, computed: manifestDigest }),
    );
  }

  const uploaded = new Map<string, { body: string; table: string }>();
  for (const [index, chain] of capture.chains.entries()) {
    const field = `chains.${index}`;
    const actual = bodyDigest(chain.body);
    if (actual !== chain.digest) {
      return fail(apiError(400, `${field}.body: sha256 of the body is ${actual}, not ${chain.digest}`, { field: `${field}.body`, digest: chain.digest, computed: actual }));
    }
    const entry = byDigest.get(chain.digest);
    if (!entry) return fail(apiError(400, `${field}: chain body ${chain.digest} is not in the manifest`, { field: `${field}.digest`, digest: chain.digest }));
    // iptables rule text is parsed once, in the rebuilt ruleset (ruleset-model.ts); here only each body's shape.
    const problem = mode === "nftables" ? checkNftBody(chain.body, entry) : checkChainBody(chain.body, entry, { parseRules: false });
    if (problem) {
      return fail(
        apiError(400, `chain body ${chain.digest} (${entry.chain}) line ${problem.line}: ${problem.reason}`, {
          field: `${field}.body`,
          digest: chain.digest,
          chain: entry.chain,
          line: problem.line,
          text: problem.text,
        }),
      );
    }
    uploaded.set(chain.digest, { body: chain.body, table: entry.table });
  }
  if (mode !== "nftables") {
    const ruleError = parseUploadedRules(capture.chains, byDigest);
    if (ruleError) return fail(ruleError);
  }
  const manifest = [...capture.manifest].sort((a, b) =>
    a.table !== b.table ? (a.table < b.table ? -1 : 1) : a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0,
  );
  return { ok: true, rules: { manifestDigest, manifest, uploaded, uploadOrder: capture.chains.map((c) => c.digest) } };
}

/**
 * Parses the rule text of every uploaded body, one parser run per table over the bodies put end to end (a listing:
 * `-P`/`-A` lines), so a 64k-chain first upload costs one parse, not 64k; an error is mapped back to its body's
 * digest and line. This runs before the request asks for missing bodies: a broken body is refused at once.
 */
function parseUploadedRules(chains: CaptureRequest["chains"], byDigest: ReadonlyMap<string, StoredManifestEntry>): ApiError | null {
  const byTable = new Map<string, ReturnType<typeof textBuilder>>();
  chains.forEach((chain, index) => {
    const entry = byDigest.get(chain.digest) as StoredManifestEntry;
    let text = byTable.get(entry.table);
    if (!text) byTable.set(entry.table, (text = textBuilder()));
    if (chain.body !== "") chain.body.split("\n").forEach((line, i) => text.push(line, String(index), i + 1));
  });
  for (const [table, builder] of byTable) {
    const text = builder.done();
    const parsed = parseIptablesSave(text.text, { defaultTable: table });
    if (parsed.ok) continue;
    const at = text.origin(parsed.error.line);
    const index = Number(at?.digest ?? 0);
    const chain = chains[index] as { digest: string };
    const entry = byDigest.get(chain.digest) as StoredManifestEntry;
    return apiError(400, `chain body ${chain.digest} (${entry.chain}) line ${at?.line ?? 1}: ${parsed.error.reason}`, {
      field: `chains.${index}.body`,
      digest: chain.digest,
      chain: entry.chain,
      line: at?.line ?? 1,
      text: parsed.error.text,
    });
  }
  return null;
}

function fail(error: ApiError): { ok: false; error: ApiError } {
  return { ok: false, error };
}
