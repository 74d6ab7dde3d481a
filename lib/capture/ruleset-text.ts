/**
 * Chain bodies back to ruleset text, and the check of one uploaded body. Pure.
 *
 * A ruleset is stored as a manifest plus content-addressed chain bodies (normalized `-P`/`-A` lines, see
 * lib/iptables/chain-digest.ts). The kube-proxy model is built from text, so the server puts the text back
 * together the way `iptables-save` prints it: per table `*table`, one `:CHAIN POLICY [0:0]` line per chain, the
 * rule lines, `COMMIT`. Counters are not part of a body; the rebuilt text has none, which is right for a model
 * shared by every node that has this ruleset.
 */
import { createHash } from "node:crypto";
import { parseIptablesSave } from "../iptables/parse-iptables-save";

/** One manifest entry, as the rebuild needs it. */
export interface ManifestChain {
  table: string;
  chain: string;
  policy: string | null;
}

/** Why an uploaded chain body was refused: the reason and the 1-based line of the body. */
export interface ChainBodyProblem {
  reason: string;
  line: number;
  text: string;
}

/** Lower-case hex sha256 of a body, as `chainDigest` computes it. */
export function bodyDigest(body: string): string {
  return createHash("sha256").update(body, "utf8").digest("hex");
}

/** Rebuilt text, and for each of its lines the body line it came from (so a parse error can name the body). */
export interface RebuiltText {
  text: string;
  /** `origin(n)` for 1-based line n of `text`: the chain body's digest and 1-based line, or null for a header line. */
  origin(line: number): { digest: string; line: number } | null;
}

/** Collects lines with their origins. */
export function textBuilder(): { push(line: string, digest?: string, bodyLine?: number): void; done(): RebuiltText } {
  const lines: string[] = [];
  const digests: (string | null)[] = [];
  const bodyLines: number[] = [];
  return {
    push(line, digest, bodyLine) {
      lines.push(line);
      digests.push(digest ?? null);
      bodyLines.push(bodyLine ?? 0);
    },
    done() {
      return {
        text: `${lines.join("\n")}\n`,
        origin: (line) => {
          const digest = digests[line - 1];
          return digest ? { digest, line: bodyLines[line - 1] as number } : null;
        },
      };
    },
  };
}

/**
 * `iptables-save` text of a manifest. `bodyOf` returns the normalized body of a chain (its `-P` line, if any, is
 * dropped: the declaration line carries the policy). Tables come in manifest order, chains in manifest order.
 */
export function rebuildIptablesSave(manifest: readonly (ManifestChain & { digest: string })[], bodyOf: (digest: string) => string): string {
  return rebuildIptablesSaveWithOrigins(manifest, bodyOf).text;
}

/** `rebuildIptablesSave`, with the origin of every line. */
export function rebuildIptablesSaveWithOrigins(
  manifest: readonly (ManifestChain & { digest: string })[],
  bodyOf: (digest: string) => string,
): RebuiltText {
  const byTable = new Map<string, (ManifestChain & { digest: string })[]>();
  for (const entry of manifest) {
    const list = byTable.get(entry.table);
    if (list) list.push(entry);
    else byTable.set(entry.table, [entry]);
  }
  const out = textBuilder();
  for (const [table, entries] of byTable) {
    out.push(`*${table}`);
    for (const entry of entries) out.push(`:${entry.chain} ${entry.policy ?? "-"} [0:0]`);
    for (const entry of entries) {
      const body = bodyOf(entry.digest);
      if (body === "") continue;
      body.split("\n").forEach((line, i) => {
        if (!line.startsWith("-P ")) out.push(line, entry.digest, i + 1);
      });
    }
    out.push("COMMIT");
  }
  return out.done();
}

/**
 * Checks an uploaded body against the manifest entry it belongs to: every line must be an `-A`/`-P` line of
 * `entry.chain`, and its `-P` line must say the manifest's policy; with `parseRules` (the default) the rule text must
 * also parse. Returns null when it does. Ingest checks the shape per body and parses the rules once, in the rebuilt
 * ruleset, mapping an error back to its body (see `RebuiltText.origin`).
 */
export function checkChainBody(body: string, entry: ManifestChain, options: { parseRules?: boolean } = {}): ChainBodyProblem | null {
  if (body === "") return entry.policy === null ? null : { reason: `chain ${entry.chain} has policy ${entry.policy} but the body has no -P line`, line: 1, text: "" };
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = /^-([AP]) (\S+)/.exec(line);
    if (!match) return { reason: "expected an `-A CHAIN …` or `-P CHAIN POLICY` line", line: i + 1, text: clip(line) };
    if (match[2] !== entry.chain) {
      return { reason: `line belongs to chain ${match[2]}, not ${entry.chain}`, line: i + 1, text: clip(line) };
    }
    if (match[1] === "P" && i !== 0) return { reason: "a -P line must come first", line: i + 1, text: clip(line) };
  }
  const policyLine = lines[0]?.startsWith("-P ") ? (lines[0].split(" ")[2] ?? null) : null;
  if (policyLine !== entry.policy) {
    return {
      reason: `the body says policy ${policyLine ?? "none"}, the manifest ${entry.policy ?? "none"}`,
      line: 1,
      text: clip(lines[0] ?? ""),
    };
  }
  if (options.parseRules === false) return null;
  // The parser checks the rule text itself (quotes, options, targets); as a listing of one table, its line
  // numbers are the body's.
  const parsed = parseIptablesSave(body, { defaultTable: entry.table });
  if (!parsed.ok) return { reason: parsed.error.reason, line: parsed.error.line, text: parsed.error.text };
  return null;
}

function clip(text: string): string {
  return text.length > 200 ? text.slice(0, 200) : text;
}
