/** Conntrack facts natwatch samples on each node. */

/** Per-CPU counters of the conntrack subsystem (`conntrack -S`, /proc/net/stat/nf_conntrack). */
export interface ConntrackCpuStats {
  cpu: number;
  found?: number;
  invalid?: number;
  insert?: number;
  insert_failed?: number;
  drop?: number;
  early_drop?: number;
  error?: number;
  search_restart?: number;
}

/** One live flow's identity as natwatch aggregates it: where the client aimed and where DNAT sent it. */
export interface FlowKey {
  protocol: "tcp" | "udp" | "sctp";
  /** Original destination, `ip:port` (`[v6]:port`): the service VIP or node port. */
  destination: string;
  /** Reply source, `ip:port`: the endpoint that answers. */
  endpoint: string;
  /** TCP/SCTP state (`ESTABLISHED`, `TIME_WAIT`…); `ASSURED`/`UNREPLIED` for UDP. */
  state: string;
}

export interface FlowCount extends FlowKey {
  count: number;
}

/** Why a line of conntrack output could not be read. */
export interface ConntrackParseError {
  kind: "conntrack-parse-error";
  reason: string;
  line: number;
  text: string;
}
