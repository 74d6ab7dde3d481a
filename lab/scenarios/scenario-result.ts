/**
 * The machine-readable account of a scenario run (written as JSON, e.g. `DIR/scenario.json`): what was done when,
 * with which pods, and what the requests saw — what browser tests assert natwatch's pages against.
 */

/** A pod as it was at the end of a step. */
export interface PodRecord {
  namespace: string;
  name: string;
  node: string;
  ip: string;
}

/** Replies of a request loop, by the Hostname line of each reply. */
export interface CurlRecord {
  from: string;
  url: string;
  requests: number;
  hostnames: Record<string, number>;
  /** The same counts by endpoint address (`ip:port`), as natwatch names endpoints. */
  endpoints: Record<string, number>;
  errors: Record<string, number>;
}

export interface StepRecord {
  /** Stable identifier (`deploy`, `curl-clusterip`, `restart-webpod2`, `nodeport`, `scale-to-five`, `scale-to-three`, `stuck-kube-proxy`). */
  name: string;
  title: string;
  startedAt: string;
  /** When every node's capture of the step had reached natwatch. */
  endedAt: string;
  /** When each node's kube-proxy applied the step's change (absent for a node that did not, e.g. a stuck one). */
  appliedAt: Record<string, string>;
  /** capturedAt of each node's capture that showed natwatch the step. */
  capturedAt: Record<string, string>;
  /** The web pods (app=webpod) and net-pod at the end of the step. */
  pods: PodRecord[];
  curl?: CurlRecord;
  /** Step-specific facts (old and new address and chain of a restarted pod, the node port, …). */
  details?: Record<string, unknown>;
}

export interface ScenarioResult {
  scenario: string;
  cluster: string;
  server: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  nodes: { name: string; role: string; ip: string; podCIDR: string }[];
  service: { servicePort: string; namespace: string; name: string; clusterIP: string; port: number; targetPort: number; nodePort: number | null };
  laggingNode: { name: string; lagMs: number; step: string };
  stuckNode: { name: string; step: string };
  steps: StepRecord[];
}
