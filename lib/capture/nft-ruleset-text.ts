/**
 * The nftables side of content-addressed captures (backend `nftables`). Pure.
 *
 * kube-proxy's nftables mode keeps its state in one table per family (`table ip kube-proxy`) made of chains, sets
 * and maps. The unit of content addressing is one top-level object of a table, as `nft list table` prints it:
 * - the manifest's `table` is the family and table name (`ip kube-proxy`), its `chain` the object's kind and name
 *   (`chain services`, `map service-ips`, `set cluster-ips`; `(table)` for the table's own lines such as its
 *   comment), its `policy` null (a base chain's policy is a statement inside its body);
 * - the body is the object's lines with indentation dropped, `counter packets N bytes M` shortened to `counter`,
 *   ` # handle N` annotations and blank lines removed, header and closing brace included.
 * Rebuilding a listing is then `table FAMILY NAME {`, the bodies, `}` per table, which `parseNftRuleset` reads.
 * Only listings are accepted here (`nft list table|ruleset`), not `nft -f` scripts: a script is not a state.
 */
import { createHash } from "node:crypto";
import { parseNftRuleset } from "../nftables/parse-nft-ruleset";
import type { CounterUpload, ManifestEntry } from "../contracts/capture";
import { textBuilder, type ChainBodyProblem, type ManifestChain, type RebuiltText } from "./ruleset-text";

/** What `splitNftListing` found: the manifest, bodies by digest, counters by (digest, rule line). */
export interface NftListingParts {
  manifest: ManifestEntry[];
  bodiesByDigest: Map<string, string>;
  counters: CounterUpload[];
}

/** A listing the splitter could not read, with the 1-based line. */
export interface NftListingProblem {
  reason: string;
  line: number;
  text: string;
}

const TABLE_OBJECT_NAME = "(table)";
const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Braces opened minus closed on a line, outside double quotes. */
function braceBalance(line: string): number {
  let balance = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "{") balance++;
    else if (!quoted && ch === "}") balance--;
  }
  return balance;
}

/** One line as stored: trimmed, counters without values, no handle annotation. */
function normalizeLine(line: string): { text: string; counter: { packets: number; bytes: number } | null } {
  const trimmed = line.trim().replace(/\s+# handle \d+$/, "");
  const match = COUNTER.exec(trimmed);
  if (!match) return { text: trimmed, counter: null };
  return {
    text: trimmed.replace(COUNTER, "counter"),
    counter: { packets: Number(match[1]), bytes: Number(match[2]) },
  };
}

/**
 * Splits `nft list table …` / `nft list ruleset` output into manifest entries and bodies. Rule positions of
 * counters are 0-based line indexes inside the body.
 */
export function splitNftListing(text: string): { ok: true; parts: NftListingParts } | { ok: false; error: NftListingProblem } {
  const parsed = parseNftRuleset(text);
  if (!parsed.ok) return { ok: false, error: { reason: parsed.error.reason, line: parsed.error.line, text: parsed.error.text } };
  if (parsed.ruleset.form !== "listing") {
    return { ok: false, error: { reason: "expected `nft list table` or `nft list ruleset` output, not an nft -f script", line: 1, text: "" } };
  }
  const manifest: ManifestEntry[] = [];
  const bodiesByDigest = new Map<string, string>();
  const counters: CounterUpload[] = [];
  const lines = text.split("\n");
  let table: string | null = null;
  let tableLines: string[] = [];
  let object: { name: string; lines: string[]; counters: { rule: number; packets: number; bytes: number }[] } | null = null;
  let depth = 0;

  const finish = (name: string, bodyLines: string[], found: { rule: number; packets: number; bytes: number }[]) => {
    const body = bodyLines.join("\n");
    const digest = sha256(body);
    bodiesByDigest.set(digest, body);
    manifest.push({ table: table as string, chain: name, policy: null, digest });
    for (const c of found) counters.push({ chainDigest: digest, rule: c.rule, packets: c.packets, bytes: c.bytes });
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const { text: line, counter } = normalizeLine(raw);
    if (line === "" || (line.startsWith("#") && depth <= 1)) continue;
    const balance = braceBalance(line);
    if (depth === 0) {
      const header = /^table (ip|ip6|inet|arp|bridge|netdev) (\S+) \{$/.exec(line);
      if (!header) return { ok: false, error: { reason: "expected `table FAMILY NAME {`", line: i + 1, text: raw.slice(0, 200) } };
      table = `${header[1]} ${header[2]}`;
      tableLines = [];
      depth = 1;
      continue;
    }
    if (depth === 1 && object === null) {
      if (line === "}") {
        if (tableLines.length) finish(TABLE_OBJECT_NAME, tableLines, []);
        depth = 0;
        continue;
      }
      const opens = /^(chain|set|map|flowtable|counter|quota|limit|ct \S+|secmark|synproxy) (\S+) \{$/.exec(line);
      if (opens) {
        object = { name: `${opens[1]} ${opens[2]}`, lines: [line], counters: [] };
        depth += balance;
        continue;
      }
      tableLines.push(line);
      continue;
    }
    if (object) {
      if (counter) object.counters.push({ rule: object.lines.length - 1, ...counter });
      object.lines.push(line);
      depth += balance;
      if (depth === 1) {
        finish(object.name, object.lines, object.counters);
        object = null;
      }
    }
  }
  manifest.sort((a, b) => (a.table !== b.table ? (a.table < b.table ? -1 : 1) : a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
  return { ok: true, parts: { manifest, bodiesByDigest, counters } };
}

/** The listing of a manifest of nft objects (see the module comment). */
export function rebuildNftListing(manifest: readonly (ManifestChain & { digest: string })[], bodyOf: (digest: string) => string): string {
  return rebuildNftListingWithOrigins(manifest, bodyOf).text;
}

/** `rebuildNftListing`, with the origin of every line. */
export function rebuildNftListingWithOrigins(
  manifest: readonly (ManifestChain & { digest: string })[],
  bodyOf: (digest: string) => string,
): RebuiltText {
  const byTable = new Map<string, { digest: string; body: string }[]>();
  for (const entry of manifest) {
    const item = { digest: entry.digest, body: bodyOf(entry.digest) };
    const list = byTable.get(entry.table) ?? [];
    // The table's own lines (its comment, flags) come first, as nft lists them.
    if (entry.chain === TABLE_OBJECT_NAME) list.unshift(item);
    else list.push(item);
    byTable.set(entry.table, list);
  }
  const out = textBuilder();
  for (const [table, items] of byTable) {
    out.push(`table ${table} {`);
    for (const { digest, body } of items) body.split("\n").forEach((line, i) => out.push(line, digest, i + 1));
    out.push("}");
  }
  return out.done();
}

/** Checks an uploaded nft object body against its manifest entry; null when it is fine. */
export function checkNftBody(body: string, entry: ManifestChain): ChainBodyProblem | null {
  const first = body.split("\n", 1)[0] ?? "";
  if (entry.chain !== TABLE_OBJECT_NAME && first !== `${entry.chain} {`) {
    return { reason: `the body declares \`${first}\`, the manifest \`${entry.chain} {\``, line: 1, text: first.slice(0, 200) };
  }
  const parsed = parseNftRuleset(`table ${entry.table} {\n${body}\n}\n`);
  if (!parsed.ok) return { reason: parsed.error.reason, line: Math.max(1, parsed.error.line - 1), text: parsed.error.text };
  return null;
}
