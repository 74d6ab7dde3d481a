/**
 * What one rule says, in the terms the kube-proxy model needs, read in a single pass over its text (scan-rule-text.ts).
 *
 * kube-proxy's rules come in many spellings: as kube-proxy wrote them (`-m tcp -p tcp -d 10.0.0.1 --dport 80`), as
 * iptables-save prints them back (`-d 10.0.0.1/32 -p tcp -m comment … -m tcp --dport 80`), with long option names in
 * restore inputs, and with comments quoted, unquoted (test style) or missing (large-cluster mode).
 */
import type { Rule } from "../iptables/types";
import * as scanning from "./scan-rule-text";

/* Read once into a module constant: bundlers and vitest compile each use of an imported binding into a getter call. */
const { scanRuleText } = scanning;

/** What a kube-proxy comment says about the rule, after its service port name. */
export type CommentKind =
  | "cluster-ip" // "SPN cluster IP"
  | "external-ip" // "SPN external IP"
  | "load-balancer" // "SPN loadbalancer IP"
  | "endpoint" // "SPN -> 10.0.0.1:80"
  | "plain" // "SPN"
  | "no-endpoints" // "SPN has no endpoints"
  | "no-local-endpoints" // "SPN has no local endpoints"
  | "other"; // anything else that names a service port ("masquerade traffic for SPN external destinations", …)

/** The facts of one rule the model reads. Addresses lose the `/32` (`/128`) iptables-save adds to host addresses. */
export interface RuleFacts {
  rule: Rule;
  /** Service port name named by the comment, exactly as written (`ns/svc:port`, `ns/svc:`, `ns/svc`). */
  servicePortName: string | null;
  commentKind: CommentKind | null;
  /** The `ip:port` after `->` in a balancing rule's comment. */
  commentEndpoint: string | null;
  protocol: string | null;
  destination: string | null;
  destinationNegated: boolean;
  /** `--dport` / `--destination-port` as a number. */
  dport: number | null;
  /** `--dst-type` of the addrtype match (`LOCAL`, `!LOCAL` when negated). */
  dstType: string | null;
  /** `--probability` as written. */
  probabilityText: string | null;
  /** `-m recent --rcheck`: a session-affinity lookup, not a balancing rule. */
  recentCheck: boolean;
  /** `--seconds` of the recent match. */
  recentSeconds: number | null;
  /** `--to-destination` of a DNAT target. */
  toDestination: string | null;
  /**
   * True when the rule matches nothing but (possibly) a comment or an nfacct counter: an unconditional jump. Protocol,
   * destination and port do not count as conditions: the entry rule that led into the chain already matched them.
   */
  unconditional: boolean;
  /**
   * Whether conditions other than protocol, destination, port and address type (comments, nfacct and the
   * target's options aside) limit the rule, negated (`! -s POD_CIDR`) or not (`-s 127.0.0.0/8`): the reach of a
   * masquerade rule.
   */
  negatedCondition: boolean;
  positiveCondition: boolean;
}

/**
 * Where a service port name starting at `start` ends (at a space or the end of the text), or -1 when there is none:
 * `namespace/name`, optionally `:port`. Namespaces are DNS-1123 labels, service names DNS-1035 labels and port names
 * IANA service names, all lower-case; the check is a little wider to keep odd real names. A hand-written loop: it runs
 * for most rules of a 230k-rule dump.
 */
function servicePortNameEnd(text: string, start: number): number {
  let i = start;
  let slash = -1;
  let colon = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) break;
    if (c === 47 /* / */) {
      if (slash >= 0 || i === start) return -1;
      slash = i;
    } else if (c === 58 /* : */) {
      if (slash < 0 || colon >= 0 || i === slash + 1) return -1;
      colon = i;
    } else if (colon >= 0) {
      // port name: letters, digits, '-', '_', '.'
      if (!(isLowerOrDigit(c) || (c >= 65 && c <= 90) || c === 45 || c === 95 || c === 46)) return -1;
    } else if (i === slash + 1 && !(c >= 97 && c <= 122)) {
      return -1; // a service name is a DNS-1035 label: it starts with a letter (and `10.0.0.0/8` is no name)
    } else if (!(isLowerOrDigit(c) || ((c === 45 || c === 46) && i !== start && i !== slash + 1))) {
      return -1;
    }
  }
  return slash < 0 || i === slash + 1 ? -1 : i;
}

function isLowerOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** Strips the host prefix length iptables-save prints after a single address. */
export function stripHostPrefix(address: string): string {
  if (address.endsWith("/32") && address.indexOf(":") < 0) return address.slice(0, -3);
  if (address.endsWith("/128")) return address.slice(0, -4);
  return address;
}

/** `ip:port`, or `[ip]:port` for IPv6 — the way kube-proxy writes endpoints and natwatch writes destinations. */
export function joinHostPort(host: string, port: number | string): string {
  return host.indexOf(":") >= 0 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The first word of a trimmed comment that is a whole service port name, or null: words are split at runs of
 * whitespace. Comments of single-spaced printable ASCII, all of kube-proxy's, are read in place; others are split.
 */
function namedInside(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126 || (c === 32 && text.charCodeAt(i + 1) === 32)) {
      return text.split(/\s+/).find((w) => servicePortNameEnd(w, 0) === w.length) ?? null;
    }
  }
  for (let start = 0; start < text.length; ) {
    const end = servicePortNameEnd(text, start);
    if (end >= 0 && (end === text.length || text.charCodeAt(end) === 32)) return text.slice(start, end);
    const blank = text.indexOf(" ", start);
    if (blank < 0) break;
    start = blank + 1;
  }
  return null;
}

/** The words kube-proxy puts after a service port name, and what they mean. */
const COMMENT_KINDS: readonly [string, CommentKind][] = [
  ["cluster IP", "cluster-ip"],
  ["external IP", "external-ip"],
  ["loadbalancer IP", "load-balancer"],
  ["has no endpoints", "no-endpoints"],
  ["has no local endpoints", "no-local-endpoints"],
];

/**
 * Reads a kube-proxy comment: the service port name it names and what it says about it. Most comments start with
 * the name, and that case is read without splitting the text.
 */
export function readComment(comment: string): { servicePortName: string; kind: CommentKind; endpoint: string | null } | null {
  const text = comment.trim();
  const end = servicePortNameEnd(text, 0);
  if (end < 0) {
    // "masquerade traffic for SPN external destinations", "other traffic to SPN will be dropped by …"
    const named = namedInside(text);
    return named === null ? null : { servicePortName: named, kind: "other", endpoint: null };
  }
  const servicePortName = end === text.length ? text : text.slice(0, end);
  if (end === text.length) return { servicePortName, kind: "plain", endpoint: null };
  const rest = end + 1;
  for (const [words, kind] of COMMENT_KINDS) {
    if (text.length - rest === words.length && text.startsWith(words, rest)) return { servicePortName, kind, endpoint: null };
  }
  if (text.startsWith("-> ", rest) && text.indexOf(" ", rest + 3) < 0) {
    return { servicePortName, kind: "endpoint", endpoint: text.slice(rest + 3) };
  }
  return { servicePortName, kind: "other", endpoint: null };
}

/** Reads the facts of one rule, from its text (so `ruleOptions: false` dumps are read alike). */
export function readRuleFacts(rule: Rule): RuleFacts {
  const scanned = scanRuleText(rule.text);
  const read = scanned.comment === null ? null : readComment(scanned.comment);
  return {
    rule,
    servicePortName: read?.servicePortName ?? null,
    commentKind: read?.kind ?? null,
    commentEndpoint: read?.endpoint ?? null,
    protocol: scanned.protocol,
    destination: scanned.destination === null ? null : stripHostPrefix(scanned.destination),
    destinationNegated: scanned.destinationNegated,
    dport: scanned.dport,
    dstType: scanned.dstType,
    probabilityText: scanned.probabilityText,
    recentCheck: scanned.recentCheck,
    recentSeconds: scanned.recentSeconds,
    toDestination: scanned.toDestination,
    unconditional: scanned.unconditional,
    negatedCondition: scanned.negatedCondition,
    positiveCondition: scanned.positiveCondition,
  };
}
