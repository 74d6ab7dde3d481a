/** One service port across a cluster's nodes: the service page's header, endpoints and agreement. */
import type { Db } from "../db";
import { listServicePorts, type ListServicePortsOptions, type ServicePortView } from "./list-service-ports";
import { notFound, type NotFound } from "./not-found";

/** One service port of `clusterName`, or NotFound naming the cluster or the service port. */
export async function getServicePort(
  db: Db,
  clusterName: string,
  servicePort: string,
  options: Omit<ListServicePortsOptions, "q" | "names" | "limit" | "offset"> = {},
): Promise<ServicePortView | NotFound> {
  const list = await listServicePorts(db, clusterName, { ...options, names: [servicePort], limit: 1 });
  if ("notFound" in list) return list;
  return list.servicePorts[0] ?? notFound("service-port", servicePort, `no node of cluster "${list.cluster}" has service port "${servicePort}"`);
}
