/**
 * The way a new connection takes through one node's NAT rules to a pod, as kube-proxy wrote it: each way in
 * (KUBE-SERVICES for cluster and external IPs, KUBE-NODEPORTS → KUBE-EXT for node ports) with its masquerade mark,
 * then the balancing chain's probability ladder to each KUBE-SEP chain and the pod address it DNATs to.
 */
import type { ReactNode } from "react";
import type { ServicePath, ServicePortModel } from "@/lib/kube-proxy/types";
import type { EndpointPod } from "@/lib/server/queries/find-endpoint-pods";
import { formatShare } from "@/lib/dashboard/format";
import { ChainName } from "./verification-mark";

const PATH_LABEL: Record<ServicePath["kind"], string> = {
  "cluster-ip": "cluster IP",
  "external-ip": "external IP",
  "load-balancer": "load balancer",
  "node-port": "node port",
};

/** What KUBE-MARK-MASQ does on a path (the node rewrites the client's source address). */
const MASQUERADE_LABEL: Record<ServicePath["masquerade"], string> = {
  always: "masquerade: every connection (KUBE-MARK-MASQ)",
  "off-cluster": "masquerade: sources outside the pod network (KUBE-MARK-MASQ)",
  never: "no masquerade",
};

/** Chains whose names kube-proxy derives from a hash; KUBE-SERVICES and KUBE-NODEPORTS are fixed names. */
const HASHED = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-/;

function Arrow() {
  return (
    <span aria-hidden="true" className="px-1 text-zinc-500 dark:text-zinc-400">
      →
    </span>
  );
}

function Box({ children, tone = "chain" }: { children: ReactNode; tone?: "chain" | "entry" | "pod" }) {
  const tones = {
    chain: "border-zinc-300 bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900",
    entry: "border-sky-300 bg-sky-50 dark:border-sky-800 dark:bg-sky-950",
    pod: "border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950",
  };
  return <span className={`inline-flex items-center gap-1 rounded border px-2 py-1 ${tones[tone]}`}>{children}</span>;
}

export function ChainFlow({ node, port, pods }: { node: string; port: ServicePortModel; pods: ReadonlyMap<string, EndpointPod> }) {
  const balancing = [port.svcChain, port.svlChain].filter((c): c is string => c !== null);
  return (
    <figure aria-labelledby="chain-flow-caption" className="space-y-4 rounded border border-zinc-200 p-4 dark:border-zinc-800">
      <figcaption id="chain-flow-caption" className="text-base font-semibold">
        Chain path on {node}
      </figcaption>
      <section aria-label="Ways in">
        <h3 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">Ways in</h3>
        {port.paths.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No rule of KUBE-SERVICES or KUBE-NODEPORTS leads here.</p>
        ) : (
          <ul className="space-y-2">
            {port.paths.map((path) => (
              <li key={`${path.kind} ${path.destination} ${path.chains.join(">")}`} className="flex flex-wrap items-center gap-y-1 text-sm">
                <Box tone="entry">
                  <span className="text-xs text-zinc-600 dark:text-zinc-400">{PATH_LABEL[path.kind]}</span>
                  <span className="font-mono text-xs">{path.destination}</span>
                </Box>
                <Arrow />
                <ol className="contents">
                  {path.chains.map((chain, i) => (
                    <li key={chain} className="contents">
                      {i > 0 && <Arrow />}
                      <Box>
                        <ChainName name={chain} verified={HASHED.test(chain) ? port.chainVerified : undefined} />
                      </Box>
                    </li>
                  ))}
                </ol>
                <span
                  className={`ml-2 rounded px-1.5 py-0.5 text-xs ${path.masquerade === "never" ? "text-zinc-600 dark:text-zinc-400" : "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200"}`}
                >
                  {MASQUERADE_LABEL[path.masquerade]}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Balancing">
        <h3 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">Balancing</h3>
        {port.endpoints.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            No endpoints: {port.noEndpoints.map((v) => `${v.action} (${v.reason})`).join(", ") || "nothing to balance to"}.
          </p>
        ) : (
          <div className="flex flex-wrap items-start gap-2 text-sm">
            <div className="flex flex-col gap-1">
              {balancing.map((chain) => (
                <Box key={chain}>
                  <ChainName name={chain} verified={port.chainVerified} />
                </Box>
              ))}
              {port.affinitySeconds !== null && <span className="text-xs text-zinc-600 dark:text-zinc-400">ClientIP affinity {port.affinitySeconds} s</span>}
            </div>
            <ul className="space-y-1">
              {port.endpoints.map((e) => {
                const pod = pods.get(e.address);
                return (
                  <li key={`${e.via} ${e.sepChain}`} className="flex flex-wrap items-center">
                    <Arrow />
                    <span className="w-40 text-xs text-zinc-600 dark:text-zinc-400">
                      {e.probabilityText ? `p ${e.probabilityText}` : "rest"} · {formatShare(e.share)}
                      {e.via === "local" ? " · local" : ""}
                    </span>
                    <Box>
                      <ChainName name={e.sepChain} verified={e.chainVerified} />
                    </Box>
                    <Arrow />
                    <Box tone="pod">
                      <span className="font-mono text-xs">{e.address}</span>
                      {pod && <span className="text-xs text-zinc-700 dark:text-zinc-300">{pod.name}</span>}
                    </Box>
                  </li>
                );
              })}
            </ul>
          </div>
        )}
      </section>
    </figure>
  );
}
