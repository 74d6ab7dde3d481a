/**
 * Shared types of the iptables-save / iptables-restore parser.
 *
 * The parser reads what `iptables-save [-c]` and `ip6tables-save [-c]` print, kube-proxy's restore inputs
 * (full and partial syncs, with `-X` deletions) and `iptables -S [-v]` rule listings. It keeps every rule's text
 * exactly as written so a ruleset re-serializes byte for byte, and offers a tokenized view of each rule for the
 * kube-proxy model.
 */

/** `[packets:bytes]` of `iptables-save -c`, or `-c packets bytes` of `iptables -S -v`. */
export interface PacketCounters {
  packets: number;
  bytes: number;
}

/** One option of a rule: `-s 10.0.0.0/8`, `! --mark 0x4000/0x4000`, `--rcheck`, `--to-destination 10.0.1.1:80`. */
export interface RuleOption {
  /** The option as written, with its dashes: `-s`, `--dport`, `--probability`. */
  name: string;
  /** Its arguments, shell-unquoted (`--comment "a b"` → `["a b"]`). Usually one; flags such as `--rcheck` have none. */
  args: string[];
  /** True when a `!` precedes the option (iptables ≥1.4.3 prints `! --mark`, `! -s`). */
  negated: boolean;
  /**
   * Who the option belongs to: `""` for the rule's base options (`-s -d -p -i -o -f`), the match module's name for
   * options after `-m NAME` (`"comment"`, `"tcp"`, `"statistic"`, …), or `"target"` for options after `-j`/`-g`.
   */
  owner: string;
}

/** One `-A CHAIN …` rule. */
export interface Rule {
  /** Chain the rule is appended to. */
  chain: string;
  /** Everything after `-A CHAIN `, exactly as captured (quotes and spacing kept), without counters. */
  text: string;
  /** Counters when the input carried them, else null. */
  counters: PacketCounters | null;
  /** 1-based line number in the input. */
  line: number;
  /** Options in the order written. */
  options: RuleOption[];
  /** Match modules in the order loaded with `-m` (a module may repeat, e.g. two `-m comment`). */
  matchModules: string[];
  /** `-j` or `-g` target (a chain name or an extension such as DNAT, MARK, MASQUERADE, RETURN); null when absent. */
  target: string | null;
  /** True for `-g` (goto), false for `-j`. */
  goto: boolean;
}

/** A chain as declared (`:NAME POLICY [p:b]` or `-N NAME` / `-P NAME POLICY`) with its rules in order. */
export interface Chain {
  name: string;
  /** `ACCEPT`/`DROP` for built-in chains; null for user chains (`-`). */
  policy: string | null;
  /** Chain counters from the declaration, when present. */
  counters: PacketCounters | null;
  /** False when rules name the chain but the input never declared it (grep excerpts, partial listings). */
  declared: boolean;
  /** Line of the declaration, or of the first rule when undeclared. */
  line: number;
  rules: Rule[];
}

/** One `*table … COMMIT` block (or the implied table of an `iptables -S` listing). */
export interface Table {
  /** `nat`, `filter`, `mangle`, `raw`, `security`. */
  name: string;
  /** Chains in declaration order (undeclared chains follow, in order of first use). */
  chains: Chain[];
  /** Chains deleted with `-X NAME` (partial-sync restore inputs). */
  deletedChains: string[];
  /** True when the block ended with COMMIT. */
  committed: boolean;
  line: number;
}

/** What the input was: a save dump (`*table`), or a rule listing (`-N/-P/-A` lines without a table header). */
export type DumpFormat = "save" | "listing";

/** A whole parsed input. */
export interface IptablesDump {
  format: DumpFormat;
  /** Address family, when known from the input (an IPv6 address in a rule, or the caller's option). */
  family: "ipv4" | "ipv6";
  tables: Table[];
}

/** Why an input was refused, and where. The parser never throws anything else. */
export interface IptablesParseError {
  kind: "iptables-parse-error";
  /** A short reason: `unterminated quote`, `rule outside a table`, `COMMIT missing`, … */
  reason: string;
  /** 1-based line and column of the offending text. */
  line: number;
  column: number;
  /** The offending line, verbatim (truncated to 200 characters). */
  text: string;
}

export type ParseResult = { ok: true; dump: IptablesDump } | { ok: false; error: IptablesParseError };
