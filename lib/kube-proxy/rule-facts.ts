/**
 * What one rule says, in the terms the kube-proxy model needs, read in a single pass over its options.
 *
 * kube-proxy's rules come in many spellings: as kube-proxy wrote them (`-m tcp -p tcp -d 10.0.0.1 --dport 80`), as
 * iptables-save prints them back (`-d 10.0.0.1/32 -p tcp -m comment … -m tcp --dport 80`), with long option names in
 * restore inputs, and with comments quoted, unquoted (test style) or missing (large-cluster mode).
 */
import type { Rule } from "../iptables/types";

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

/** What an option is to the model; options not listed here (`-s`, `--src-type`, `--mark`, …) are conditions. */
const enum OptionRole {
  Comment,
  Protocol,
  Destination,
  DestinationPort,
  DestinationType,
  Probability,
  RecentCheck,
  RecentSeconds,
  ToDestination,
  /** `-m`, `-j`, `-g`, `-c`: structure, not a match. */
  Structure,
}

/**
 * One lookup per option (a rule has ~10, a large dump ~2M). Protocol, destination and port do not make a jump
 * conditional: an entry rule already checked them before jumping into the chain.
 */
const OPTION_ROLES = new Map<string, OptionRole>([
  ["--comment", OptionRole.Comment],
  ["-p", OptionRole.Protocol],
  ["--protocol", OptionRole.Protocol],
  ["-d", OptionRole.Destination],
  ["--destination", OptionRole.Destination],
  ["--dst", OptionRole.Destination],
  ["--dport", OptionRole.DestinationPort],
  ["--destination-port", OptionRole.DestinationPort],
  ["--dst-type", OptionRole.DestinationType],
  ["--probability", OptionRole.Probability],
  ["--rcheck", OptionRole.RecentCheck],
  ["--seconds", OptionRole.RecentSeconds],
  ["--to-destination", OptionRole.ToDestination],
  ["-m", OptionRole.Structure],
  ["--match", OptionRole.Structure],
  ["-j", OptionRole.Structure],
  ["--jump", OptionRole.Structure],
  ["-g", OptionRole.Structure],
  ["--goto", OptionRole.Structure],
  ["-c", OptionRole.Structure],
  ["--set-counters", OptionRole.Structure],
]);

/** Options of these owners never make a rule conditional (an nfacct match only counts). */
function isNeutralOwner(owner: string): boolean {
  return owner === "comment" || owner === "target" || owner === "nfacct";
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 9) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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
    const named = text.split(/\s+/).find((w) => servicePortNameEnd(w, 0) === w.length);
    return named === undefined ? null : { servicePortName: named, kind: "other", endpoint: null };
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

/** Reads the facts of one rule. */
export function readRuleFacts(rule: Rule): RuleFacts {
  let comment: string | null = null;
  let protocol: string | null = null;
  let destination: string | null = null;
  let destinationNegated = false;
  let dport: number | null = null;
  let dstType: string | null = null;
  let probabilityText: string | null = null;
  let recentCheck = false;
  let recentSeconds: number | null = null;
  let toDestination: string | null = null;
  let unconditional = true;

  for (const option of rule.options) {
    const arg = option.args[0] ?? null;
    const role = OPTION_ROLES.get(option.name);
    switch (role) {
      case OptionRole.Comment: {
        const text = option.args.length === 1 ? arg! : option.args.join(" ");
        comment = comment === null ? text : `${comment} ${text}`;
        break;
      }
      case OptionRole.Protocol:
        if (arg !== null && !option.negated) protocol = arg.toLowerCase();
        break;
      case OptionRole.Destination:
        if (arg !== null) destination = stripHostPrefix(arg);
        destinationNegated = option.negated;
        break;
      case OptionRole.DestinationPort:
        if (arg !== null && !option.negated && isDigits(arg)) dport = Number(arg);
        break;
      case OptionRole.DestinationType:
        dstType = arg === null ? null : (option.negated ? "!" : "") + arg;
        unconditional = false;
        break;
      case OptionRole.Probability:
        probabilityText = arg;
        unconditional = false;
        break;
      case OptionRole.RecentCheck:
        recentCheck = true;
        unconditional = false;
        break;
      case OptionRole.RecentSeconds:
        if (arg !== null && isDigits(arg)) recentSeconds = Number(arg);
        unconditional = false;
        break;
      case OptionRole.ToDestination:
        if (option.owner === "target") toDestination = arg;
        break;
      case OptionRole.Structure:
        break;
      default:
        if (!isNeutralOwner(option.owner)) unconditional = false;
    }
  }

  const read = comment === null ? null : readComment(comment);
  return {
    rule,
    servicePortName: read?.servicePortName ?? null,
    commentKind: read?.kind ?? null,
    commentEndpoint: read?.endpoint ?? null,
    protocol,
    destination,
    destinationNegated,
    dport,
    dstType,
    probabilityText,
    recentCheck,
    recentSeconds,
    toDestination,
    unconditional,
  };
}
