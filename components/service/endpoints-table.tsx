/** The endpoints one node balances a service port to: pod, its node, the probability as written and the share it gives. */
import { Table, type Column } from "@/components/ui/table";
import { formatShare } from "@/lib/dashboard/format";
import type { EndpointPod } from "@/lib/server/queries/find-endpoint-pods";
import type { EndpointView } from "@/lib/server/queries/list-service-ports";
import { ChainName } from "./verification-mark";

export interface EndpointRow extends EndpointView {
  chainVerified: boolean;
  pod: EndpointPod | null;
}

export function EndpointsTable({ node, rows }: { node: string; rows: readonly EndpointRow[] }) {
  const columns: Column<EndpointRow>[] = [
    { header: "endpoint", cell: (e) => <span className="font-mono">{e.address}</span> },
    {
      header: "pod",
      cell: (e) =>
        e.pod ? (
          <span>
            {e.pod.namespace}/{e.pod.name}
            {e.pod.lastEvent === "DELETED" && <span className="ml-1 font-medium text-red-700 dark:text-red-400">(deleted)</span>}
          </span>
        ) : (
          <span className="text-zinc-600 dark:text-zinc-400">unknown</span>
        ),
    },
    { header: "pod's node", cell: (e) => e.pod?.node ?? "—" },
    { header: "KUBE-SEP chain", cell: (e) => <ChainName name={e.sepChain} verified={e.chainVerified} /> },
    { header: "probability as written", cell: (e) => <span className="font-mono">{e.probabilityText ?? "— (last rule)"}</span> },
    { header: "effective share", numeric: true, cell: (e) => <span data-share={e.share}>{formatShare(e.share)}</span> },
    { header: "rule counter", numeric: true, cell: (e) => e.packets },
  ];
  return (
    <Table
      caption={`Endpoints on ${node}`}
      columns={columns}
      rows={rows}
      rowKey={(e) => `${e.via} ${e.sepChain}`}
      empty="This node balances the port to no endpoint."
    />
  );
}
