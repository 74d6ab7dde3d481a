/**
 * The bodies of nft blocks — chain bodies (hook, policy, comment, rules), set and map bodies (type, flags, timeout,
 * elements) and element lists — shared by the listing form (`chain x { … }`) and the script form
 * (`add chain … { … }`, `add element … { … }`).
 */
import {
  compact,
  expectPunct,
  failAt,
  isPunct,
  joinTokens,
  lastToken,
  peek,
  readBraced,
  readStatement,
  skipSeparators,
  type NftCursor,
} from "./nft-cursor";
import { parseNftDuration, parseNftPriority } from "./nft-values";
import type { NftToken } from "./tokenize-nft";
import type { NftChain, NftCounter, NftFamily, NftRule, NftSet, NftSetElement, NftVerdict } from "./types";

/**
 * Words a rule may start with: nft(8)'s payload, meta and conntrack expressions and its statements. A statement that
 * starts with anything else is not a rule, and the input is refused rather than the line skipped.
 */
const RULE_START = new Set(
  (
    "ip ip6 inet ether vlan arp icmp icmpv6 icmpx igmp tcp udp udplite sctp dccp ah esp comp th sh ipsec gre gretap " +
    "geneve vxlan hbh rt rt0 rt2 srh frag dst mh exthdr tcpopt meta ct fib numgen jhash symhash socket osf rt " +
    "mark iif oif iifname oifname iiftype oiftype iifgroup oifgroup skuid skgid nfproto l4proto protocol priority length " +
    "pkttype cpu cgroup rtclassid ibrname obrname ibriport obriport time day hour random ipsec secpath " +
    "accept drop reject return jump goto continue queue counter limit log dnat snat masquerade redirect notrack dup fwd " +
    "set add update delete quota meter tproxy synproxy flow xt vmap comment @nh @th @ll @ih"
  ).split(" "),
);

/** `counter packets N bytes M` starting at tokens[i] (the `counter` word), or null when the values are absent. */
function counterAt(tokens: readonly NftToken[], i: number): NftCounter | null {
  const [p, pv, b, bv] = [tokens[i + 1], tokens[i + 2], tokens[i + 3], tokens[i + 4]];
  if (p?.value !== "packets" || b?.value !== "bytes") return null;
  if (!/^\d+$/.test(pv?.value ?? "") || !/^\d+$/.test(bv?.value ?? "")) failAt("counter values must be numbers", pv);
  return { packets: Number(pv!.value), bytes: Number(bv!.value) };
}

/**
 * Removes `packets N bytes M` after each `counter`, returning the first counter's values: a counter's values change
 * with every packet, its presence is part of the rule.
 */
function stripCounterValues(tokens: readonly NftToken[]): { tokens: NftToken[]; counter: NftCounter | null } {
  const kept: NftToken[] = [];
  let counter: NftCounter | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    kept.push(token);
    if (token.kind === "word" && token.value === "counter") {
      const values = counterAt(tokens, i);
      if (values) {
        counter ??= values;
        i += 4;
      }
    }
  }
  return { tokens: kept, counter };
}

/** One rule of `chain`, from its statement tokens. */
export function buildRule(chain: string, statement: readonly NftToken[], handle: number | null): NftRule {
  const first = statement[0];
  if (first === undefined) failAt("empty rule", first);
  if (first.kind !== "word" || !RULE_START.has(first.value.startsWith("@") ? first.value.slice(0, 3) : first.value)) {
    failAt(`unknown rule expression '${first.text}'`, first);
  }
  let depth = 0;
  for (const token of statement) {
    if (isPunct(token, "{")) depth++;
    if (isPunct(token, "}") && --depth < 0) failAt("unexpected '}'", token);
  }
  const { tokens, counter } = stripCounterValues(statement);
  let comment: string | null = null;
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i]!.kind === "word" && tokens[i]!.value === "comment" && tokens[i + 1]!.kind === "string") comment = tokens[i + 1]!.value;
  }
  return { chain, text: joinTokens(tokens), tokens: tokens.map((t) => t.value), counter, comment, handle, line: first.line };
}

const SIMPLE_VERDICTS = new Set(["accept", "drop", "return", "continue", "queue"]);

/** `goto X`, `jump X`, `drop`, … → a verdict; null for any other data. */
export function parseVerdict(words: readonly string[]): NftVerdict | null {
  const [kind, chain] = words;
  if ((kind === "goto" || kind === "jump") && chain !== undefined && words.length === 2) return { kind, chain };
  if (kind !== undefined && SIMPLE_VERDICTS.has(kind) && (words.length === 1 || kind === "queue")) {
    return { kind: kind as NftVerdict["kind"], chain: null };
  }
  return null;
}

/** One element from its tokens: key parts joined by `.`, then `timeout`/`expires`/`comment`/`counter`, then `: data`. */
function buildElement(tokens: readonly NftToken[]): NftSetElement {
  const first = tokens[0];
  if (first === undefined) failAt("empty element", first);
  const keyParts: string[] = [];
  const element: NftSetElement = {
    key: "", keyParts, value: null, verdict: null, comment: null, timeout: null, expires: null, counter: null, line: first.line,
  };
  let expectPart = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.kind === "word" && token.value === ":") {
      const data = tokens.slice(i + 1);
      if (data.length === 0) failAt("map element without data", token);
      element.value = joinTokens(data);
      element.verdict = parseVerdict(data.map((t) => t.value));
      break;
    }
    if (token.kind === "word" && token.value === "." && !expectPart) {
      expectPart = true;
    } else if (token.kind === "word" && (token.value === "timeout" || token.value === "expires") && !expectPart) {
      if (next === undefined || parseNftDuration(next.value) === null) failAt(`duration expected after '${token.value}'`, next ?? token);
      element[token.value] = next.value;
      i++;
    } else if (token.kind === "word" && token.value === "comment" && !expectPart) {
      if (next?.kind !== "string") failAt("string expected after 'comment'", next ?? token);
      element.comment = next.value;
      i++;
    } else if (token.kind === "word" && token.value === "counter" && !expectPart) {
      element.counter = counterAt(tokens, i);
      if (element.counter) i += 4;
    } else if (expectPart && (token.kind === "word" || token.kind === "string") && token.value !== "." && token.value !== ":") {
      keyParts.push(token.value);
      expectPart = false;
    } else {
      failAt(expectPart ? "element key expected" : `unexpected '${token.text}' in element`, token);
    }
  }
  if (expectPart) failAt("element key expected", tokens[tokens.length - 1]);
  element.key = keyParts.join(" . ");
  return element;
}

/** The elements of `{ a, b, c }`, from the tokens between the braces. */
export function parseElementList(inner: readonly NftToken[]): NftSetElement[] {
  const elements: NftSetElement[] = [];
  let current: NftToken[] = [];
  for (const token of inner) {
    if (isPunct(token, "{") || isPunct(token, "}") || isPunct(token, ";")) failAt(`unexpected '${token.text}' in element list`, token);
    if (isPunct(token, ",")) {
      if (current.length === 0) failAt("empty element", token);
      elements.push(buildElement(current));
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) elements.push(buildElement(current));
  return elements;
}

/**
 * Where each key sits in a set's element list. A node's `service-ips` map holds one element per service IP and port
 * (tens of thousands on a large cluster), so a linear search per added element would make loading quadratic.
 */
const elementPositions = new WeakMap<NftSet, Map<string, number>>();

function positionsOf(set: NftSet): Map<string, number> {
  let positions = elementPositions.get(set);
  if (!positions || positions.size !== set.elements.length) {
    positions = new Map(set.elements.map((e, i) => [e.key, i]));
    elementPositions.set(set, positions);
  }
  return positions;
}

/** Adds elements to a set, an element with the same key replacing the older one (as a map update does). */
export function addElements(set: NftSet, elements: readonly NftSetElement[]): void {
  const positions = positionsOf(set);
  for (const element of elements) {
    const at = positions.get(element.key);
    if (at !== undefined) {
      set.elements[at] = element;
    } else {
      positions.set(element.key, set.elements.length);
      set.elements.push(element);
    }
  }
}

/** Removes the elements with these keys. */
export function deleteElements(set: NftSet, keys: ReadonlySet<string>): void {
  set.elements = set.elements.filter((e) => !keys.has(e.key));
  elementPositions.delete(set);
}

function singleString(tokens: readonly NftToken[], what: string): string {
  const value = tokens[1];
  if (value?.kind !== "string" || tokens.length !== 2) failAt(`string expected after '${what}'`, value ?? tokens[0]);
  return value.value;
}

/** After `chain NAME {`: hook, policy, comment and rules up to the closing `}` (consumed). */
export function parseChainBody(cursor: NftCursor, chain: NftChain, family: NftFamily): void {
  for (;;) {
    compact(cursor);
    skipSeparators(cursor);
    const token = peek(cursor);
    if (token === undefined) failAt(`'}' missing at the end of chain ${chain.name}`, lastToken(cursor));
    if (isPunct(token, "}")) {
      cursor.pos++;
      return;
    }
    const { tokens, handle } = readStatement(cursor);
    const head = tokens[0]!.value;
    if (head === "type" && tokens[0]!.kind === "word") {
      const hookAt = tokens.findIndex((t) => t.value === "hook");
      const priorityAt = tokens.findIndex((t) => t.value === "priority");
      if (hookAt !== 2 || tokens[1] === undefined || tokens[3] === undefined) failAt("'type T hook H' expected", tokens[0]);
      if (priorityAt < 0 || priorityAt === tokens.length - 1) failAt("'priority' expected in base chain", tokens[tokens.length - 1]);
      const priorityText = joinTokens(tokens.slice(priorityAt + 1));
      chain.hook = {
        type: tokens[1].value,
        hook: tokens[3].value,
        priorityText,
        priority: parseNftPriority(priorityText, family),
        devices: priorityAt > 4 ? joinTokens(tokens.slice(4, priorityAt)) : null,
        policy: chain.hook?.policy ?? null,
      };
    } else if (head === "policy" && tokens.length === 2) {
      if (chain.hook === null) failAt("'policy' in a chain without a hook", tokens[0]);
      chain.hook.policy = tokens[1]!.value;
    } else if (head === "comment" && tokens[0]!.kind === "word") {
      chain.comment = singleString(tokens, "comment");
    } else {
      chain.rules.push(buildRule(chain.name, tokens, handle));
    }
  }
}

/** After `set NAME {` or `map NAME {`: its properties and elements up to the closing `}` (consumed). */
export function parseSetBody(cursor: NftCursor, set: NftSet): void {
  for (;;) {
    compact(cursor);
    skipSeparators(cursor);
    const token = peek(cursor);
    if (token === undefined) failAt(`'}' missing at the end of set ${set.name}`, lastToken(cursor));
    if (isPunct(token, "}")) {
      cursor.pos++;
      return;
    }
    const { tokens } = readStatement(cursor);
    const [head, value] = tokens;
    const property = head!.kind === "word" ? head!.value : "";
    if ((property === "type" || property === "typeof") && tokens.length > 1) {
      set.type = joinTokens(tokens.slice(1));
    } else if (property === "flags" && tokens.length > 1) {
      set.flags = tokens.slice(1).filter((t) => !isPunct(t, ",")).flatMap((t) => t.value.split(",")).filter(Boolean);
    } else if (property === "timeout" && tokens.length === 2 && parseNftDuration(value!.value) !== null) {
      set.timeoutSeconds = parseNftDuration(value!.value);
    } else if (property === "gc-interval" && tokens.length === 2 && parseNftDuration(value!.value) !== null) {
      continue;
    } else if (property === "size" && tokens.length === 2 && /^\d+$/.test(value!.value)) {
      set.size = Number(value!.value);
    } else if (property === "comment") {
      set.comment = singleString(tokens, "comment");
    } else if (property === "policy" && tokens.length === 2) {
      continue;
    } else if ((property === "counter" || property === "auto-merge") && tokens.length === 1) {
      set.flags.push(property);
    } else if (property === "elements" && value?.value === "=" && isPunct(tokens[2], "{") && isPunct(tokens[tokens.length - 1], "}")) {
      addElements(set, parseElementList(tokens.slice(3, -1)));
    } else {
      failAt(`unknown ${set.kind} property '${head!.text}'`, head);
    }
  }
}

/** After an element list's `{` in a command: the elements up to the matching `}` (consumed). */
export function readElementBlock(cursor: NftCursor, context: string): NftSetElement[] {
  const open = expectPunct(cursor, "{", context);
  return parseElementList(readBraced(cursor, open));
}
