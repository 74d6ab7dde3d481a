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
   * True when the rule matches nothing but (possibly) a comment or an nfacct counter: an unconditional jump. The
   * protocol and port of a rule whose chain was entered with that protocol and port do not count as conditions.
   */
  unconditional: boolean;
}

/**
 * A service port name: `namespace/name`, optionally `:port`. Namespaces are DNS-1123 labels, service names DNS-1035
 * labels and port names IANA service names, all lower-case; the pattern is a little wider to keep odd real names.
 */
const SERVICE_PORT_NAME = /^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*(?::[-a-zA-Z0-9_.]*)?$/;

/** Options that never make a rule conditional. */
const NEUTRAL_OWNERS = new Set(["comment", "target", "nfacct"]);
const NEUTRAL_NAMES = new Set(["-m", "--match", "-j", "--jump", "-g", "--goto", "-c", "--set-counters"]);
/** Options that restrict by protocol and port, which an entry rule already checked before jumping. */
const PROTOCOL_NAMES = new Set(["-p", "--protocol", "--dport", "--destination-port"]);

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
 * Reads a kube-proxy comment: the service port name it names and what it says about it. Most comments start with
 * the name, so that case is read without splitting the text (this runs for every rule of a 230k-rule dump).
 */
export function readComment(comment: string): { servicePortName: string; kind: CommentKind; endpoint: string | null } | null {
  const text = comment.trim();
  const space = text.indexOf(" ");
  const first = space < 0 ? text : text.slice(0, space);
  if (!SERVICE_PORT_NAME.test(first)) {
    // "masquerade traffic for SPN external destinations", "other traffic to SPN will be dropped by …"
    const named = text.split(/\s+/).find((w) => SERVICE_PORT_NAME.test(w));
    return named === undefined ? null : { servicePortName: named, kind: "other", endpoint: null };
  }
  const rest = space < 0 ? "" : text.slice(space + 1).trim();
  const kind = COMMENT_KINDS.get(rest);
  if (kind !== undefined) return { servicePortName: first, kind, endpoint: null };
  if (rest.startsWith("-> ") && rest.indexOf(" ", 3) < 0) return { servicePortName: first, kind: "endpoint", endpoint: rest.slice(3) };
  return { servicePortName: first, kind: "other", endpoint: null };
}

/** The words kube-proxy puts after a service port name, and what they mean. */
const COMMENT_KINDS = new Map<string, CommentKind>([
  ["", "plain"],
  ["cluster IP", "cluster-ip"],
  ["external IP", "external-ip"],
  ["loadbalancer IP", "load-balancer"],
  ["has no endpoints", "no-endpoints"],
  ["has no local endpoints", "no-local-endpoints"],
]);

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
    switch (option.name) {
      case "--comment":
      {
        const text = option.args.length === 1 ? option.args[0]! : option.args.join(" ");
        comment = comment === null ? text : `${comment} ${text}`;
      }
        continue;
      case "-p":
      case "--protocol":
        if (arg !== null && !option.negated) protocol = arg.toLowerCase();
        break;
      case "-d":
      case "--destination":
      case "--dst":
        if (arg !== null) destination = stripHostPrefix(arg);
        destinationNegated = option.negated;
        break;
      case "--dport":
      case "--destination-port":
        if (arg !== null && !option.negated && /^\d+$/.test(arg)) dport = Number(arg);
        break;
      case "--dst-type":
        dstType = arg === null ? null : (option.negated ? "!" : "") + arg;
        break;
      case "--probability":
        probabilityText = arg;
        break;
      case "--rcheck":
        recentCheck = true;
        break;
      case "--seconds":
        if (arg !== null && /^\d+$/.test(arg)) recentSeconds = Number(arg);
        break;
      case "--to-destination":
        if (option.owner === "target") toDestination = arg;
        break;
    }
    if (unconditional && !NEUTRAL_OWNERS.has(option.owner) && !NEUTRAL_NAMES.has(option.name) && !PROTOCOL_NAMES.has(option.name)) {
      unconditional = false;
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
