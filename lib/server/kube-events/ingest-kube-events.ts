/**
 * Use case: store a batch of kube-inventory's watch events (`POST /api/v1/kube-events`). Idempotent per event on
 * (cluster, kind, namespace, name, resourceVersion, type): a retried batch stores nothing twice. The batch is one
 * transaction, serialized per cluster on PostgreSQL so two retries of one batch cannot both insert.
 */
import type { KubeEventBatch } from "../../contracts/kube-events";
import type { Db } from "../db";
import { LOCK_KUBE_EVENTS, lockForTransaction, providerOfClient } from "../captures/transaction";
import { ipsOfObject } from "./event-ips";

/** What a batch did. */
export interface KubeEventsAccepted {
  stored: number;
  duplicates: number;
}

/** Stores the events of `batch` for cluster `clusterId` (already authorized for it). */
export async function ingestKubeEvents(db: Db, clusterId: number, batch: KubeEventBatch): Promise<KubeEventsAccepted> {
  const provider = providerOfClient(db);
  return db.$transaction(
    async (tx) => {
      await lockForTransaction(tx, provider, LOCK_KUBE_EVENTS, String(clusterId));
      let stored = 0;
      let duplicates = 0;
      const seen = new Set<string>();
      for (const event of batch.events) {
        const meta = event.object.metadata;
        const key = {
          clusterId,
          kind: event.kind,
          namespace: meta.namespace ?? "",
          name: meta.name,
          resourceVersion: meta.resourceVersion,
          type: event.type,
        };
        const id = JSON.stringify(key);
        if (seen.has(id) || (await tx.kubeEvent.findUnique({ where: { clusterId_kind_namespace_name_resourceVersion_type: key }, select: { id: true } }))) {
          duplicates++;
          continue;
        }
        seen.add(id);
        const at = new Date(event.observedAt);
        await tx.kubeEvent.create({
          data: { ...key, at, object: event.object as object, ips: { create: ipsOfObject(event.kind, event.object).map((ip) => ({ ip, at })) } },
        });
        stored++;
      }
      if (batch.dropped > 0) console.warn(`natwatch ingest: kube-inventory of cluster ${clusterId} dropped ${batch.dropped} events`);
      return { stored, duplicates };
    },
    { maxWait: 60_000, timeout: 120_000 },
  );
}
