/**
 * The conntrack part of a capture → ConntrackSample (table fill and `conntrack -S` totals, per-CPU rows as JSON) and
 * FlowAggregate rows, each flow's destination resolved to the service port the node's model routes it to.
 *
 * Conntrack is per node, not per address family, while a capture is per family: the IPv4 and IPv6 halves of one
 * capture share capturedAt. The first half to carry a sample stores it; flows are added per half (their addresses
 * tell the families apart).
 */
import type { ConntrackSample } from "../../contracts/capture";
import type { ProxyModel } from "../../kube-proxy/types";
import { chunked, INSERT_CHUNK, type Tx } from "./transaction";

/** The per-CPU statistics `conntrack -S` prints, as the wire contract names them. */
type StatField = "found" | "invalid" | "insert" | "insert_failed" | "drop" | "early_drop" | "error" | "search_restart";

/** Stores the sample and its flows; returns the flows written. */
export async function recordConntrack(
  tx: Tx,
  nodeId: number,
  capturedAt: Date,
  sample: ConntrackSample,
  model: () => Promise<ProxyModel>,
): Promise<number> {
  const existing = await tx.conntrackSample.findUnique({ where: { nodeId_capturedAt: { nodeId, capturedAt } }, select: { nodeId: true } });
  if (!existing) {
    const total = (field: StatField) => BigInt(sample.cpus.reduce((sum, cpu) => sum + (cpu[field] ?? 0), 0));
    await tx.conntrackSample.create({
      data: {
        nodeId,
        capturedAt,
        count: sample.count,
        max: sample.max,
        found: total("found"),
        invalid: total("invalid"),
        insert: total("insert"),
        insertFailed: total("insert_failed"),
        drop: total("drop"),
        earlyDrop: total("early_drop"),
        error: total("error"),
        searchRestart: total("search_restart"),
        perCpu: sample.cpus.map((cpu) => ({
          cpu: cpu.cpu,
          found: cpu.found ?? 0,
          invalid: cpu.invalid ?? 0,
          insert: cpu.insert ?? 0,
          insertFailed: cpu.insert_failed ?? 0,
          drop: cpu.drop ?? 0,
          earlyDrop: cpu.early_drop ?? 0,
          error: cpu.error ?? 0,
          searchRestart: cpu.search_restart ?? 0,
        })),
      },
    });
  }
  if (sample.flows.length === 0) return 0;

  const servicePortOf = destinationIndex(await model());
  const stored = await tx.flowAggregate.findMany({ where: { nodeId, capturedAt }, select: { protocol: true, destination: true, endpoint: true, state: true } });
  const key = (f: { protocol: string; destination: string; endpoint: string; state: string }) => `${f.protocol} ${f.destination} ${f.endpoint} ${f.state}`;
  const seen = new Set(stored.map(key));
  const fresh = sample.flows.filter((flow) => {
    if (seen.has(key(flow))) return false;
    seen.add(key(flow));
    return true;
  });
  for (const slice of chunked(fresh, INSERT_CHUNK)) {
    await tx.flowAggregate.createMany({
      data: slice.map((flow) => ({ nodeId, capturedAt, ...flow, servicePort: servicePortOf(flow.protocol, flow.destination) })),
    });
  }
  return fresh.length;
}

/**
 * `(protocol, "vip:port") → "namespace/name:port"` from the model's entry paths: cluster, external and load-balancer
 * IPs by address and port; node ports by port alone, since a node-port flow's destination is one of the node's own
 * addresses.
 */
export function destinationIndex(model: ProxyModel): (protocol: string, destination: string) => string | null {
  let index = destinationIndexes.get(model);
  if (!index) destinationIndexes.set(model, (index = buildDestinationIndex(model)));
  return index;
}

const destinationIndexes = new WeakMap<ProxyModel, (protocol: string, destination: string) => string | null>();

function buildDestinationIndex(model: ProxyModel): (protocol: string, destination: string) => string | null {
  const byVip = new Map<string, string>();
  const byNodePort = new Map<string, string>();
  for (const port of model.servicePorts) {
    for (const path of port.paths) {
      if (path.kind === "node-port") {
        const nodePort = /:(\d+)$/.exec(path.destination)?.[1];
        if (nodePort) byNodePort.set(`${port.protocol} ${nodePort}`, port.name);
      } else {
        byVip.set(`${port.protocol} ${path.destination}`, port.name);
      }
    }
  }
  return (protocol, destination) => {
    const vip = byVip.get(`${protocol} ${destination}`);
    if (vip) return vip;
    const portNumber = /:(\d+)$/.exec(destination)?.[1];
    return portNumber ? (byNodePort.get(`${protocol} ${portNumber}`) ?? null) : null;
  };
}
