/**
 * Objects cut down to what natwatch reads before they are posted. A Node's status alone lists every cached image
 * (often tens of kilobytes) and kubectl's last-applied annotation repeats a whole manifest; neither helps tie a rule
 * change to its cause, and every watch event would carry them.
 */
import type { KubeKind } from "../../lib/contracts/kube-events";

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});

/** Copies the listed fields of `source` that are present. */
function pick(source: Json, fields: readonly string[]): Json {
  const picked: Json = {};
  for (const field of fields) if (source[field] !== undefined) picked[field] = source[field];
  return picked;
}

const META_FIELDS = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "labels", "ownerReferences"];
const POD_STATUS_FIELDS = ["phase", "reason", "hostIP", "hostIPs", "podIP", "podIPs", "startTime"];

/** A container's readiness and restarts: the part of its status that explains an endpoint flapping. */
function trimContainerStatuses(value: unknown): Json[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((status) => pick(asObject(status), ["name", "ready", "started", "restartCount"]));
}

/** The object as natwatch needs it: metadata without annotations, and the kind's few fields the server reads. */
export function trimObject(kind: KubeKind, object: Json): Json & { metadata: Json } {
  const metadata = pick(asObject(object.metadata), META_FIELDS);
  const base = { kind, apiVersion: object.apiVersion ?? (kind === "EndpointSlice" ? "discovery.k8s.io/v1" : "v1"), metadata };
  if (kind === "Pod") {
    const status = asObject(object.status);
    const containerStatuses = trimContainerStatuses(status.containerStatuses);
    const conditions = Array.isArray(status.conditions) ? status.conditions.map((c) => pick(asObject(c), ["type", "status", "lastTransitionTime"])) : undefined;
    return {
      ...base,
      spec: pick(asObject(object.spec), ["nodeName", "hostNetwork"]),
      status: { ...pick(status, POD_STATUS_FIELDS), ...(conditions ? { conditions } : {}), ...(containerStatuses ? { containerStatuses } : {}) },
    };
  }
  if (kind === "Service") return { ...base, spec: asObject(object.spec) };
  if (kind === "EndpointSlice") return { ...base, ...pick(object, ["addressType", "endpoints", "ports"]) };
  return {
    ...base,
    spec: pick(asObject(object.spec), ["podCIDR", "podCIDRs", "unschedulable"]),
    status: pick(asObject(object.status), ["addresses"]),
  };
}
