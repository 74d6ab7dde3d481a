/**
 * Wire contract of `POST /api/v1/captures`: one capture of one node's NAT rules, counters and conntrack state.
 *
 * Rules travel content-addressed. The agent digests every chain and sends the manifest (which chains, in which
 * order, with which digest) plus the bodies of only those chains the server lacks; the server answers with the
 * digests it still lacks. A chain body thus crosses the network once per installation, and an unchanged capture
 * is a manifest the server already knows — which the agent shortens further to the ruleset digest alone.
 */
import { z } from "zod";

/** Lower-case hex sha256. */
export const digestSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be a lower-case hex sha256 digest");

/** Kubernetes object names: DNS-1123 subdomain (node names), 253 characters at most. */
const kubeNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lower-case DNS-1123 name");

export const captureBackendSchema = z.enum(["iptables-legacy", "iptables-nft", "nftables", "ipvs"]);
export type CaptureBackend = z.infer<typeof captureBackendSchema>;

export const addressFamilySchema = z.enum(["ipv4", "ipv6"]);

/** One chain of the captured ruleset, in capture order. */
export const manifestEntrySchema = z.strictObject({
  /** `nat`, `filter`, … (iptables backends); `FAMILY NAME` such as `ip kube-proxy` (nftables backend). */
  table: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}( [A-Za-z0-9_.-]{1,64})?$/, "must be a table name such as nat, or `ip kube-proxy` for nftables"),
  /**
   * iptables: the chain name. nftables: the table object's kind and name (`chain services`, `map service-ips`),
   * see lib/capture/nft-ruleset-text.ts.
   */
  chain: z.string().min(1).max(256),
  /** Built-in chain policy (ACCEPT/DROP); null for user chains (and for nftables objects). */
  policy: z.string().max(32).nullable(),
  digest: digestSchema,
});
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

/**
 * A chain body the server lacks: the normalized rule lines (`-P`/`-A CHAIN …`, no counters; see
 * lib/iptables/chain-digest.ts), newline-joined; for nftables the object's normalized listing. `digest` is the
 * sha256 of `body`, which the server verifies.
 */
export const chainBodySchema = z.strictObject({
  digest: digestSchema,
  body: z.string().max(16 * 1024 * 1024),
});
export type ChainBodyUpload = z.infer<typeof chainBodySchema>;

/** A chain named by its table and name, as in a manifest entry. */
export const chainRefSchema = manifestEntrySchema.pick({ table: true, chain: true });
export type ChainRef = z.infer<typeof chainRefSchema>;

/**
 * A manifest said as its difference from a ruleset the server accepted from this node before: on a large node a
 * changed capture then carries the few chains that changed instead of tens of thousands of entries. The server
 * rebuilds the whole manifest from the base's stored one and checks it against the capture's `rulesetDigest`.
 */
export const manifestDeltaSchema = z.strictObject({
  /** Wire `rulesetDigest` of the base: a ruleset of the same node and family the server accepted. */
  base: digestSchema,
  /** Chains added or changed since the base (the whole entry, policy included). */
  set: z.array(manifestEntrySchema).max(200_000),
  /** Chains of the base that are gone. */
  removed: z.array(chainRefSchema).max(200_000),
});
export type ManifestDelta = z.infer<typeof manifestDeltaSchema>;

/**
 * A rule counter that changed since the agent's previous upload. Rules are addressed by chain digest and
 * position, which is stable for as long as the chain's body is: a rewritten chain has a new digest, so its
 * counters start over and cannot be mistaken for the old chain's.
 */
export const counterSchema = z.strictObject({
  chainDigest: digestSchema,
  rule: z.number().int().min(0),
  packets: z.number().int().min(0),
  bytes: z.number().int().min(0),
});
export type CounterUpload = z.infer<typeof counterSchema>;

/** One CPU's line of `conntrack -S` (or /proc/net/stat/nf_conntrack). Fields the kernel lacks are omitted. */
export const conntrackCpuStatsSchema = z.strictObject({
  cpu: z.number().int().min(0),
  found: z.number().int().min(0).optional(),
  invalid: z.number().int().min(0).optional(),
  insert: z.number().int().min(0).optional(),
  insert_failed: z.number().int().min(0).optional(),
  drop: z.number().int().min(0).optional(),
  early_drop: z.number().int().min(0).optional(),
  error: z.number().int().min(0).optional(),
  search_restart: z.number().int().min(0).optional(),
});

/** Live DNAT'd flows aggregated on the node: original destination (VIP:port) → reply source (endpoint). */
export const flowAggregateSchema = z.strictObject({
  protocol: z.enum(["tcp", "udp", "sctp"]),
  destination: z.string().min(3).max(64),
  endpoint: z.string().min(3).max(64),
  /** Conntrack state (`ESTABLISHED`, `TIME_WAIT`, …); `""` for protocols without one (UDP). */
  state: z.string().max(32),
  count: z.number().int().min(1),
});
export type FlowAggregate = z.infer<typeof flowAggregateSchema>;

export const conntrackSampleSchema = z.strictObject({
  count: z.number().int().min(0),
  max: z.number().int().min(0),
  cpus: z.array(conntrackCpuStatsSchema).max(4096).default([]),
  flows: z.array(flowAggregateSchema).max(100_000).default([]),
});
export type ConntrackSample = z.infer<typeof conntrackSampleSchema>;

export const captureRequestSchema = z
  .strictObject({
    /** Chosen by the agent; a retried upload carries the same id and is stored once. */
    captureId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "must be 8–128 characters of A-Z a-z 0-9 _ -"),
    cluster: kubeNameSchema,
    node: kubeNameSchema,
    /** The node's role, as the agent knows it from the Node object's labels. */
    role: z.enum(["control-plane", "worker"]).optional(),
    /** When the kernel state was read (not when it was sent). */
    capturedAt: z.iso.datetime({ offset: true }),
    backend: captureBackendSchema,
    family: addressFamilySchema.default("ipv4"),
    /**
     * The whole ruleset, chain by chain. May be omitted when `rulesetDigest` names a ruleset the server already
     * has (an unchanged capture).
     */
    manifest: z.array(manifestEntrySchema).max(200_000).optional(),
    /**
     * Instead of `manifest`: the manifest as a delta of a ruleset the server accepted from this node. Needs
     * `rulesetDigest`, against which the rebuilt manifest is checked (422 on a mismatch); a base the server does not
     * have is answered 409 `detail.unknownBase`, and the agent sends the whole manifest instead.
     */
    manifestDelta: manifestDeltaSchema.optional(),
    /** Digest of the manifest (see `rulesetDigest` in lib/iptables); required without a manifest. */
    rulesetDigest: digestSchema.optional(),
    chains: z.array(chainBodySchema).max(200_000).default([]),
    counters: z.array(counterSchema).max(2_000_000).default([]),
    conntrack: conntrackSampleSchema.optional(),
    /** Captures the agent had to drop from its full spool since its last successful upload. */
    dropped: z.number().int().min(0).default(0),
  })
  .refine((c) => c.manifest !== undefined || c.rulesetDigest !== undefined, {
    message: "either manifest or rulesetDigest is required",
    path: ["manifest"],
  })
  .refine((c) => c.manifest === undefined || c.manifestDelta === undefined, {
    message: "manifest and manifestDelta are exclusive",
    path: ["manifestDelta"],
  })
  .refine((c) => c.manifestDelta === undefined || c.rulesetDigest !== undefined, {
    message: "manifestDelta needs the rulesetDigest of the whole new manifest",
    path: ["rulesetDigest"],
  });
export type CaptureRequest = z.infer<typeof captureRequestSchema>;
/** What an agent builds; defaults are filled by the server. */
export type CaptureUpload = z.input<typeof captureRequestSchema>;

/** 200/201: stored (or already stored: a retry). */
export interface CaptureAccepted {
  captureId: string;
  /** True when this capture began a new snapshot (the ruleset changed). */
  newSnapshot: boolean;
  snapshotId: string;
  rulesetDigest: string;
  /** Service-level changes derived from this capture against the node's previous snapshot. */
  changes: number;
  /** True when this capture id had been stored before. */
  duplicate: boolean;
  /** True when later captures of the node had arrived first: it was placed in history (no traffic window derived). */
  late: boolean;
}

/**
 * 409: nothing stored; resend with the bodies of these chains, or the whole manifest for an unknown ruleset
 * (`unknownRuleset`: a digest-only upload) or an unknown delta base (`unknownBase`: a `manifestDelta` upload).
 */
export interface CaptureIncomplete {
  error: string;
  detail: { missingChains: string[]; unknownRuleset: boolean; unknownBase?: boolean };
}

/** 422 `detail` of a `manifestDelta` whose rebuilt manifest does not have the capture's `rulesetDigest`. */
export interface ManifestDeltaMismatch {
  field: "manifestDelta";
  deltaMismatch: true;
  base: string;
  sent: string;
  computed: string;
}
