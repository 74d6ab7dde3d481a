/** Plain-text rendering of a proxy model for `natwatch explain`. */
import type { EndpointModel, ProxyModel, ServicePortModel } from "../lib/kube-proxy/types";

const VERIFIED = "✓";
const MISMATCH = "✗ name does not match kube-proxy's hash";

function mark(verified: boolean): string {
  return verified ? VERIFIED : MISMATCH;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Formats rows as left-aligned columns. */
function columns(rows: string[][], indent: string): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

/** nftables balances with `numgen random mod N`: every endpoint is equally likely and there is no ladder. */
function probabilityCell(e: EndpointModel, mode: ProxyModel["mode"], count: number): string {
  if (e.probabilityText !== null) return e.probabilityText;
  return mode === "nftables" ? `numgen 1/${count}` : "(rest)";
}

function endpointRows(endpoints: readonly EndpointModel[], mode: ProxyModel["mode"]): string[][] {
  return [
    ["endpoint", "via", "probability", "share", "new conns", "chain"],
    ...endpoints.map((e) => [
      e.address,
      e.via,
      probabilityCell(e, mode, endpoints.filter((x) => x.via === e.via).length),
      percent(e.share),
      String(e.packets),
      `${e.sepChain} ${mark(e.chainVerified)}`,
    ]),
  ];
}

function formatServicePort(port: ServicePortModel, mode: ProxyModel["mode"]): string[] {
  const lines = [`${port.name} (${port.protocol})`];
  const chains = [port.svcChain, port.svlChain, port.extChain, port.fwChain].filter((c): c is string => !!c);
  if (chains.length) lines.push(`  chains       ${chains.join(", ")} ${mark(port.chainVerified)}`);
  if (port.clusterIPs.length) lines.push(`  cluster IP   ${port.clusterIPs.join(", ")}`);
  if (port.externalIPs.length) lines.push(`  external IP  ${port.externalIPs.join(", ")}`);
  if (port.loadBalancerIPs.length) lines.push(`  LB IP        ${port.loadBalancerIPs.join(", ")}`);
  if (port.nodePorts.length) lines.push(`  node ports   ${port.nodePorts.join(", ")}`);
  for (const path of port.paths) lines.push(`  path         ${path.kind} ${path.destination}: ${path.chains.join(" → ")}`);
  if (port.affinitySeconds !== null) lines.push(`  affinity     ClientIP, ${port.affinitySeconds}s`);
  if (port.externalTrafficPolicy === "Local" || port.internalTrafficPolicy === "Local") {
    lines.push(`  policy       external ${port.externalTrafficPolicy}, internal ${port.internalTrafficPolicy}`);
  }
  for (const verdict of port.noEndpoints) lines.push(`  refused      ${verdict.action} ${verdict.destination}: ${verdict.reason}`);
  if (port.endpoints.length) lines.push(...columns(endpointRows(port.endpoints, mode), "  "));
  else lines.push("  no endpoints");
  return lines;
}

/** The whole explanation: one block per service port, then the problems found. */
export function formatExplain(model: ProxyModel): string {
  const blocks = model.servicePorts.map((p) => formatServicePort(p, model.mode).join("\n"));
  const summary = `${model.servicePorts.length} service port(s), mode ${model.mode}, ${model.family}`;
  const problems = model.problems.length
    ? ["problems:", ...model.problems.map((p) => `  ${p.kind}  ${p.chain}${p.line ? ` (line ${p.line})` : ""}: ${p.message}`)]
    : ["no problems found"];
  return [summary, "", ...blocks.flatMap((b) => [b, ""]), ...problems].join("\n");
}
