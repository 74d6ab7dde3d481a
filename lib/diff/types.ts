/**
 * Shared types of natwatch's two diffs:
 * - the ruleset diff (which chains were added, removed or changed, and the rule edits inside a changed chain), and
 * - the service-level semantic diff (what changed for a service port, ignoring rule order and counters).
 */
import type { EndpointModel, Protocol, ServicePath } from "../kube-proxy/types";
import type { LineEdit } from "./diff-lines";

/** One chain of a node's ruleset, as the ruleset diff needs it: identity, digest and normalized rule lines. */
export interface ChainText {
  table: string;
  chain: string;
  /** Digest of the normalized chain body; equal digests mean equal bodies. */
  digest: string;
  /** Normalized rule lines (`-A CHAIN …`, counters stripped), in chain order. */
  rules: string[];
}

/** A chain present on only one side. */
export interface ChainRef {
  table: string;
  chain: string;
  digest: string;
  ruleCount: number;
}

/** A chain on both sides whose body differs. */
export interface ChangedChain {
  table: string;
  chain: string;
  beforeDigest: string;
  afterDigest: string;
  /** Rule edits; `keep` lines give context. */
  edits: LineEdit[];
  added: number;
  removed: number;
}

/** Chains added, removed and changed between two rulesets, each list sorted by table then chain name. */
export interface RulesetDiff {
  added: ChainRef[];
  removed: ChainRef[];
  changed: ChangedChain[];
  unchanged: number;
}

/**
 * Kinds of service-level change. The first seven are the stable vocabulary of `natwatch diff --json`;
 * the others describe settings that change rarely but matter when they do.
 */
export type ServiceChangeKind =
  | "service-added"
  | "service-removed"
  | "endpoint-added"
  | "endpoint-removed"
  | "weight-changed"
  | "path-added"
  | "path-removed"
  | "affinity-changed"
  | "traffic-policy-changed"
  | "no-endpoints-changed";

/** Share of one endpoint before and after a weight change (null where the endpoint is absent on that side). */
export interface EndpointShareChange {
  address: string;
  before: number | null;
  after: number | null;
}

/** One meaningful change of one service port. */
export interface ServiceChange {
  servicePort: string;
  protocol: Protocol;
  kind: ServiceChangeKind;
  /** A one-line explanation for people: `endpoint 10.10.2.2:80 (KUBE-SEP-…) replaced by 10.10.2.5:80`. */
  summary: string;
  /** endpoint-added / endpoint-removed: the endpoint (address, SEP chain, share). */
  endpoint?: Pick<EndpointModel, "address" | "sepChain" | "share" | "via">;
  /**
   * A pod restart shows as one endpoint removed and one added in the same service port. The two changes are
   * paired: the removed one names its successor in `replacedBy`, the added one its predecessor in `replaces`.
   */
  replacedBy?: string;
  replaces?: string;
  /** path-added / path-removed. */
  path?: ServicePath;
  /** weight-changed: every endpoint's share on both sides. */
  shares?: EndpointShareChange[];
  /** affinity/policy/no-endpoints changes: the old and new value, as plain JSON. */
  before?: unknown;
  after?: unknown;
}
