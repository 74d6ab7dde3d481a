/**
 * Wire contract of `POST /api/v1/kube-events`: watch events of Pods, Services, EndpointSlices and Nodes, batched by
 * kube-inventory. Objects travel in the Kubernetes API's own JSON form; the server keeps what it needs to tie a
 * rule change to the event that caused it (pod IPs, endpoint addresses, service ports).
 */
import { z } from "zod";

export const kubeKindSchema = z.enum(["Pod", "Service", "EndpointSlice", "Node"]);
export type KubeKind = z.infer<typeof kubeKindSchema>;

/** Watch event types of the Kubernetes API (BOOKMARK and ERROR never leave the collector). */
export const kubeEventTypeSchema = z.enum(["ADDED", "MODIFIED", "DELETED"]);

const objectMetaSchema = z.looseObject({
  name: z.string().min(1).max(253),
  namespace: z.string().max(63).optional(),
  uid: z.string().max(64).optional(),
  /** Required: with (kind, namespace, name, type) it makes a retried event idempotent. */
  resourceVersion: z.string().min(1).max(64),
});

export const kubeEventSchema = z.strictObject({
  kind: kubeKindSchema,
  type: kubeEventTypeSchema,
  /** When the collector saw the event (the API server does not stamp watch events). */
  observedAt: z.iso.datetime({ offset: true }),
  object: z.looseObject({ metadata: objectMetaSchema }),
});
export type KubeEventUpload = z.infer<typeof kubeEventSchema>;

export const kubeEventBatchSchema = z.strictObject({
  cluster: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lower-case DNS-1123 name"),
  events: z.array(kubeEventSchema).min(1).max(10_000),
  /** Events the collector had to drop from its full buffer since its last successful post. */
  dropped: z.number().int().min(0).default(0),
});
export type KubeEventBatch = z.infer<typeof kubeEventBatchSchema>;
