/**
 * Chain digests of an `iptables-save [-c]` dump read line by line, for a capture that must not hold the whole dump.
 *
 * A 10k-service nat table prints ≈25 MB; holding its text, the parsed rules and every normalized body at once cost
 * a node agent 250 MB. What an upload needs is far less: per chain its digest, its non-zero counters, and its body
 * only while the server may ask for it. iptables-save prints a table's declarations first, then each chain's rules
 * together, so each chain is digested as soon as its last rule has gone by, and only its results are kept.
 *
 * Pure: the caller feeds lines (from a pipe, a file, a string) and decides which bodies to keep.
 */
import { rulesetDigest } from "../iptables/chain-digest";
import type { IptablesParseError } from "../iptables/types";
import { compareManifestEntries, type BuiltCapture, type CaptureMeta } from "./build-capture-upload";
import { bodyDigest } from "./ruleset-text";
import type { CounterUpload, ManifestEntry } from "../contracts/capture";

/** What the lines of one or more dumps digested to. */
export interface DigestedDump {
  /** One entry per chain of every table read, unsorted. */
  manifest: ManifestEntry[];
  /** Bodies the caller chose to keep, by digest (empty when they went to `storeBody`). */
  bodiesByDigest: Map<string, string>;
  /** Counters of rules whose packet or byte count is not zero. */
  counters: CounterUpload[];
  /** Names of the tables read, in order. */
  tables: string[];
  /** The table declares a chain of this name (e.g. `nat` / `KUBE-SERVICES`). */
  hasChain(table: string, chain: string): boolean;
  /** Some chain has at least one rule. */
  hasRules: boolean;
}

/** Feeds a dump one line at a time (without its line break); `finish` says whether it was whole and readable. */
export interface DumpDigester {
  /** `at`: the line's number in the caller's input, for errors, where the digester sees only some of its lines. */
  line(text: string, at?: number): void;
  finish(): { ok: true; digested: DigestedDump } | { ok: false; error: IptablesParseError };
}

export interface DigestOptions {
  family: "ipv4" | "ipv6";
  /** Whether to keep the body of a chain with this digest (the ones the server may not have). */
  keepBody(digest: string): boolean;
  /** Where kept bodies go; by default `bodiesByDigest` of the result. */
  storeBody?(digest: string, body: string): void;
}

/**
 * A copy of `text` that does not point into the string it was cut from. V8 keeps a substring of 13 or more
 * characters as a view of its parent, so one chain name kept in the manifest would keep a whole chunk of the
 * command's output alive, and all of them the whole dump.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, "utf8").toString("utf8");
}

/** `[packets:bytes] ` at the start of a rule line of `iptables-save -c`. */
const COUNTER_PREFIX = /^\[(\d+):(\d+)\] /;

/**
 * A digester for the dumps of one family. Several dumps (the nat and the filter table's) may be fed one after the
 * other.
 *
 * It reads `iptables-save` output, not restore inputs: declarations, then each chain's rules together, which is
 * how iptables-save walks a table. A chain's normalized body is made from its lines as they are (the text after
 * `-A CHAIN ` is what the parser keeps verbatim, see lib/iptables/chain-digest.ts), so no rule is parsed here: the
 * server parses the bodies it stores. What is checked is the dump's frame: `*table` … `COMMIT`, declarations, and
 * rule lines with their counters, so a truncated or garbled dump is refused with its line number.
 */
export function createDumpDigester(options: DigestOptions): DumpDigester {
  const manifest: ManifestEntry[] = [];
  const bodiesByDigest = new Map<string, string>();
  const storeBody = options.storeBody ?? ((digest: string, body: string) => void bodiesByDigest.set(digest, body));
  const counters: CounterUpload[] = [];
  const tables: string[] = [];
  let hasRules = false;
  let error: IptablesParseError | null = null;

  let lineNumber = 0;
  let table: string | null = null;
  /** This table's declared chains not yet booked: the name to keep (a copy of its own) and the policy (null: `-`). */
  let declared = new Map<string, { name: string; policy: string | null }>();
  /** Chains of this table whose rules were read: their rules must not show up again after another chain's. */
  let seen = new Set<string>();
  let chain: string | null = null;
  let chainLines: string[] = [];
  let chainCounters: { packets: number; bytes: number }[] = [];

  const fail = (reason: string, text: string) => {
    error ??= { kind: "iptables-parse-error", reason, line: lineNumber, column: 1, text: text.slice(0, 200) };
  };

  /** Books one chain: its digest, its body if kept, its non-zero counters. */
  const book = (name: string, policy: string | null, ruleLines: readonly string[]) => {
    const body = policy === null ? ruleLines.join("\n") : [`-P ${name} ${policy}`, ...ruleLines].join("\n");
    const digest = bodyDigest(body);
    if (options.keepBody(digest)) storeBody(digest, body);
    manifest.push({ table: table!, chain: name, policy, digest });
    chainCounters.forEach((c, position) => {
      if (c.packets > 0 || c.bytes > 0) counters.push({ chainDigest: digest, rule: position, packets: c.packets, bytes: c.bytes });
    });
  };

  const endChain = () => {
    if (chain === null) return;
    const policy = declared.get(chain)?.policy ?? null;
    declared.delete(chain);
    book(chain, policy, chainLines);
    chain = null;
    chainLines = [];
    chainCounters = [];
  };

  return {
    line(text, at) {
      lineNumber = at ?? lineNumber + 1;
      if (error) return;
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (text.trim() === "" || text.startsWith("#")) return;
      if (table === null) {
        if (!text.startsWith("*")) return fail("expected a `*table` line", text);
        table = ownCopy(text.slice(1).trim());
        tables.push(table);
        declared = new Map();
        seen = new Set();
        return;
      }
      if (text === "COMMIT") {
        endChain();
        // Declared chains without rules: a user chain's body is empty, a built-in chain's is its policy.
        for (const { name, policy } of declared.values()) book(name, policy, []);
        table = null;
        return;
      }
      if (text.startsWith(":")) {
        const [name, policy] = text.slice(1).split(" ");
        if (!name || !policy) return fail("expected `:CHAIN POLICY [packets:bytes]`", text);
        const kept = ownCopy(name);
        declared.set(kept, { name: kept, policy: policy === "-" ? null : policy });
        return;
      }
      const prefix = COUNTER_PREFIX.exec(text);
      const rule = prefix ? text.slice(prefix[0].length) : text;
      if (!rule.startsWith("-A ")) return fail("expected a `[packets:bytes] -A CHAIN …` rule line", text);
      const nameEnd = rule.indexOf(" ", 3);
      const name = nameEnd < 0 ? rule.slice(3) : rule.slice(3, nameEnd);
      if (name === "") return fail("a rule line without its chain", text);
      if (name !== chain) {
        if (seen.has(name)) return fail(`rules of chain ${name} are not printed together`, text);
        endChain();
        // The declaration's copy of the name, so that the manifest and `seen` share one string per chain.
        chain = declared.get(name)?.name ?? ownCopy(name);
        seen.add(chain);
      }
      hasRules = true;
      // The body line is the rule without its counters; a rule's line in the body is that exact text.
      chainLines.push(rule);
      chainCounters.push(prefix ? { packets: Number(prefix[1]), bytes: Number(prefix[2]) } : { packets: 0, bytes: 0 });
    },
    finish() {
      if (!error && table !== null) {
        lineNumber++;
        fail("the dump ends inside a table (no COMMIT: truncated?)", "");
      }
      if (error) return { ok: false, error };
      return {
        ok: true,
        digested: {
          manifest,
          bodiesByDigest,
          counters,
          tables,
          hasChain: (t, c) => manifest.some((e) => e.table === t && e.chain === c),
          hasRules,
        },
      };
    },
  };
}

/**
 * The upload of one family from its digested tables (nat, and filter where kube-proxy has chains there): the same
 * upload `buildCaptureFromDump` makes from a whole parsed dump, with only the kept bodies at hand.
 */
export function buildCaptureFromDigests(parts: readonly DigestedDump[], meta: CaptureMeta & { family: "ipv4" | "ipv6" }): BuiltCapture {
  const manifest = parts.flatMap((p) => p.manifest).sort(compareManifestEntries);
  const bodiesByDigest = parts.length === 1 ? parts[0]!.bodiesByDigest : new Map(parts.flatMap((p) => [...p.bodiesByDigest]));
  return {
    upload: { ...meta, manifest, rulesetDigest: rulesetDigest(manifest), chains: [], counters: parts.flatMap((p) => p.counters) },
    bodiesByDigest,
  };
}
