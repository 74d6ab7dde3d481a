import type { ConntrackParseError, FlowCount, FlowKey } from "./types";

/**
 * Aggregates `conntrack -L` output line by line into counts per (protocol, original destination, reply source,
 * state), keeping only DNAT'd flows — those whose reply comes from somewhere else than the client aimed at, which
 * is what kube-proxy's KUBE-SEP rules do. The raw table can hold a million entries; it is streamed through here and
 * never kept, and the number of distinct keys is capped so memory stays bounded whatever the node holds.
 *
 * Line forms (conntrack-tools 1.4):
 *   tcp      6 117 TIME_WAIT src=C dst=VIP sport=P dport=VP src=EP dst=C sport=EPP dport=P [ASSURED] mark=0 use=1
 *   udp      17 29 src=C dst=VIP sport=P dport=53 [UNREPLIED] src=EP dst=C sport=53 dport=P mark=0 use=1
 *   ipv4     2 tcp      6 117 ESTABLISHED src=…          (with `-o extended`)
 */
export interface FlowAggregator {
  /** Feeds one line; returns an error for a line that is not conntrack output (the caller decides to go on). */
  add(line: string): ConntrackParseError | null;
  /** The counts so far, largest first. */
  flows(): FlowCount[];
  /** Entries seen, DNAT'd entries counted, and DNAT'd entries not counted because the key cap was reached. */
  stats(): { entries: number; counted: number; overflow: number };
}

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

export function createFlowAggregator(options: { maxKeys?: number } = {}): FlowAggregator {
  const maxKeys = options.maxKeys ?? 50_000;
  const counts = new Map<string, FlowCount>();
  let lineNumber = 0;
  let entries = 0;
  let counted = 0;
  let overflow = 0;

  return {
    add(raw) {
      lineNumber++;
      const line = raw.trim();
      if (!line) return null;
      const tokens = line.split(/\s+/);
      // `-o extended` prefixes the layer-3 protocol name and number.
      if (tokens[0] === "ipv4" || tokens[0] === "ipv6") tokens.splice(0, 2);
      const protocol = tokens[0]!;
      if (!/^[a-z0-9-]+$/.test(protocol) || !/^\d+$/.test(tokens[1] ?? "")) {
        return { kind: "conntrack-parse-error", reason: "not a conntrack entry", line: lineNumber, text: raw.slice(0, 200) };
      }
      entries++;
      if (!PROTOCOLS.has(protocol)) return null; // icmp and friends have no ports to balance
      const flow = readFlow(tokens);
      if (!flow) return { kind: "conntrack-parse-error", reason: "missing src/dst/sport/dport", line: lineNumber, text: raw.slice(0, 200) };
      if (flow.destination === flow.endpoint) return null; // not DNAT'd
      const key: FlowKey = { protocol: protocol as FlowKey["protocol"], destination: flow.destination, endpoint: flow.endpoint, state: flow.state };
      const id = `${key.protocol} ${key.destination} ${key.endpoint} ${key.state}`;
      const existing = counts.get(id);
      if (existing) {
        existing.count++;
        counted++;
      } else if (counts.size < maxKeys) {
        counts.set(id, { ...key, count: 1 });
        counted++;
      } else {
        overflow++;
      }
      return null;
    },
    flows: () => [...counts.values()].sort((a, b) => b.count - a.count || (a.destination < b.destination ? -1 : 1)),
    stats: () => ({ entries, counted, overflow }),
  };
}

function hostPort(ip: string, port: string): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Reads the original destination and the reply source of one entry's tokens. */
function readFlow(tokens: string[]): { destination: string; endpoint: string; state: string } | null {
  const original: Record<string, string> = {};
  const reply: Record<string, string> = {};
  let state = "";
  let direction = original;
  let flags = "";
  for (let i = 2; i < tokens.length; i++) {
    const token = tokens[i]!;
    const eq = token.indexOf("=");
    if (eq < 0) {
      if (token.startsWith("[")) flags += token;
      else if (i === 3 && /^[A-Z_]+$/.test(token)) state = token;
      continue;
    }
    const name = token.slice(0, eq);
    // The second `src=` starts the reply tuple.
    if (name === "src" && direction === original && original.src !== undefined) direction = reply;
    if (direction[name] === undefined) direction[name] = token.slice(eq + 1);
  }
  if (!original.dst || !original.dport || !reply.src || !reply.sport) return null;
  if (!state) state = flags.includes("UNREPLIED") ? "UNREPLIED" : flags.includes("ASSURED") ? "ASSURED" : "NEW";
  return { destination: hostPort(original.dst, original.dport), endpoint: hostPort(reply.src, reply.sport), state };
}
