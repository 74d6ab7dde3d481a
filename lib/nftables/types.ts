/**
 * Shared types of the nftables ruleset parser.
 *
 * The parser reads both shapes a kube-proxy nftables ruleset comes in:
 * - the listing `nft [-a] list table ip kube-proxy` (or `nft list ruleset`) prints: nested
 *   `table ip kube-proxy { set … { elements = { … } } map … chain NAME { type … hook …; rule … } }`;
 * - the `nft -f` command script kube-proxy (through knftables) writes and its unit tests expect:
 *   `add table`, `add chain`, `add rule`, `add set`, `add map`, `add element`, `flush chain`, `delete chain`, ….
 * Commands are applied in order, so both shapes end as the same plain structure: the state the kernel would hold.
 */

/** nftables address families. A command that names no family means `ip` (nft(8), "ADDRESS FAMILIES"). */
export type NftFamily = "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev";

/** `counter packets N bytes M` of a rule or set element. */
export interface NftCounter {
  packets: number;
  bytes: number;
}

/** The base-chain part of a chain: `type nat hook prerouting priority dstnat; policy accept;`. */
export interface NftHook {
  /** `filter`, `nat`, `route`. */
  type: string;
  /** `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`, `egress`. */
  hook: string;
  /** The priority as written: `-110`, `dstnat`, `dstnat - 10` (nft lists standard priorities by name). */
  priorityText: string;
  /**
   * The priority as a number, so `-110` written by kube-proxy and `dstnat - 10` listed by nft compare equal;
   * null when a name is not one nft(8) defines for the family.
   */
  priority: number | null;
  /** `device`/`devices` of netdev and inet ingress chains, as written; null when absent. */
  devices: string | null;
  /** `accept` or `drop`; null when not written (nft then uses accept). */
  policy: string | null;
}

/** One rule of a chain. */
export interface NftRule {
  chain: string;
  /**
   * The rule as written, whitespace runs collapsed to one space, `# handle N` dropped and counter values
   * stripped (`counter packets 3 bytes 180` → `counter`), so the same rule compares equal across captures.
   */
  text: string;
  /** The words of `text` in order: strings unquoted, `{ } , ;` as their own tokens. */
  tokens: string[];
  /** Values of the rule's first `counter` statement; null when it has none. */
  counter: NftCounter | null;
  /** The rule's `comment "…"`, unquoted; null when it has none. */
  comment: string | null;
  /** Kernel handle, present in `nft -a` listings only. */
  handle: number | null;
  /** 1-based input line where the rule starts. */
  line: number;
}

/** A chain with its rules in order. */
export interface NftChain {
  name: string;
  /** Hook of a base chain; null for a regular chain (only reached by jump, goto or a verdict map). */
  hook: NftHook | null;
  comment: string | null;
  rules: NftRule[];
  /** False when a rule was added to a chain the input never declared (partial inputs). */
  declared: boolean;
  handle: number | null;
  line: number;
}

/** `goto CHAIN`, `jump CHAIN`, `drop`, `accept`, … — the data of a verdict map element or vmap entry. */
export interface NftVerdict {
  kind: "goto" | "jump" | "accept" | "drop" | "return" | "continue" | "queue";
  /** Target chain of `goto`/`jump`; null for the others. */
  chain: string | null;
}

/** One element of a set or map. */
export interface NftSetElement {
  /** The key as written, concatenations spaced: `172.30.0.41 . tcp . 80`. */
  key: string;
  /** The key's concatenated parts: `["172.30.0.41", "tcp", "80"]`. */
  keyParts: string[];
  /** A map element's data as written (`goto service-…`, `drop`); null in a plain set. */
  value: string | null;
  /** The data parsed as a verdict when it is one; null otherwise. */
  verdict: NftVerdict | null;
  comment: string | null;
  /** `timeout` / `expires` of dynamic sets (affinity sets), as written (`3h`, `2h59m59s700ms`). */
  timeout: string | null;
  expires: string | null;
  counter: NftCounter | null;
  line: number;
}

/** A named set (`set NAME`) or map (`map NAME`). */
export interface NftSet {
  name: string;
  kind: "set" | "map";
  /** The `type` (or `typeof`) as written: `ipv4_addr . inet_proto . inet_service : verdict`. */
  type: string;
  /** `flags` as a list: `["dynamic", "timeout"]`. */
  flags: string[];
  /** The set's default element timeout in seconds (`timeout 10800s` or `timeout 3h`); null when none. */
  timeoutSeconds: number | null;
  /** `size`, when written or listed. */
  size: number | null;
  comment: string | null;
  elements: NftSetElement[];
  /** False when elements were added to a set the input never declared (partial inputs). */
  declared: boolean;
  handle: number | null;
  line: number;
}

/** A stateful object or flowtable the model does not interpret (`counter NAME { … }`, `flowtable NAME { … }`). */
export interface NftObject {
  /** `counter`, `quota`, `limit`, `flowtable`, `ct helper`, … */
  kind: string;
  name: string;
  /** Body as written, whitespace collapsed. */
  text: string;
  line: number;
}

/** One table, e.g. `table ip kube-proxy`. */
export interface NftTable {
  family: NftFamily;
  name: string;
  comment: string | null;
  flags: string[];
  /** Chains in declaration order (undeclared chains follow, in order of first use). */
  chains: NftChain[];
  /** Sets and maps in declaration order. */
  sets: NftSet[];
  objects: NftObject[];
  declared: boolean;
  handle: number | null;
  line: number;
}

/** What the input was: a listing (nested `table { … }` blocks), a command script (`add …`), or both. */
export type NftRulesetForm = "listing" | "script" | "mixed";

/** A whole parsed input: the tables it leaves behind once every command is applied. */
export interface NftRuleset {
  form: NftRulesetForm;
  tables: NftTable[];
}

/** Why an input was refused, and where. The parser never throws anything else. */
export interface NftParseError {
  kind: "nft-parse-error";
  /** A short reason: `unterminated string`, `unknown command 'foo'`, `'}' missing`, … */
  reason: string;
  /** 1-based line and column of the offending text. */
  line: number;
  column: number;
  /** The offending line, verbatim (truncated to 200 characters). */
  text: string;
}

export type NftParseResult = { ok: true; ruleset: NftRuleset } | { ok: false; error: NftParseError };
