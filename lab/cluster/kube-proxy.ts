/**
 * kube-proxy of one lab node, in iptables mode: on every change of Services or EndpointSlices it reads the control
 * plane, renders what kube-proxy v1.32 writes (lab/kube-proxy) and applies it with `iptables-restore --noflush`
 * inside the node's namespace — a full sync first (with the jump rules kube-proxy inserts from the hooks), partial
 * syncs after, and a full one again after a failed restore, as kube-proxy does.
 *
 * A scenario can delay a node's syncs (a lagging kube-proxy: changes land that much later, batched like kube-proxy's
 * min-sync-period) or stop them (a stuck kube-proxy: the rules stay as they are whatever the API says).
 */
import type { ControlPlane } from "../control-plane/control-plane";
import { renderNatRules, renderPartialSync } from "../kube-proxy/render-iptables";
import type { NodeConfig, ServiceSpec } from "../kube-proxy/types";
import { NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS } from "../kube-proxy/proxier-settings";
import { execInNetns } from "../netns/netns";
import { ensureNfacctCounters } from "../netns/nfacct";
import { servicesForProxy } from "./proxy-input";
import { POD_SUBNET, type LabNode } from "./topology";

/** One node's kube-proxy. */
export interface NodeProxy {
  node: LabNode;
  /** Asks for a sync (after the node's delay; ignored while stopped, caught up on resume). */
  requestSync(): void;
  /** Syncs now and waits for it (start-up). */
  syncNow(): Promise<void>;
  setSyncDelay(ms: number): void;
  /** Stops syncing: a kube-proxy that no longer follows the API. */
  stop(): void;
  /** Syncs again from the current state. */
  resume(): void;
  stopped(): boolean;
  /** The control plane resourceVersion of the state last applied, and when it was applied (epoch ms). */
  applied(): { revision: number; at: number; syncs: number };
  /** Resolves once a state at or after `revision` is applied. */
  waitForRevision(revision: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** kube-proxy's own batching of bursts of changes (a short --iptables-min-sync-period). */
const BATCH_MS = 100;

export async function startNodeProxy(plane: ControlPlane, node: LabNode, ns: string, log: (line: string) => void): Promise<NodeProxy> {
  const nfacct = await ensureNfacctCounters(ns, [NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS]);
  const config: NodeConfig = { nodeName: node.name, nodeIPs: [node.ip], podCIDR: POD_SUBNET, masqueradeRandomFully: true, nfacctCounters: nfacct };
  let previous: ServiceSpec[] | null = null;
  let needFull = true;
  let delayMs = 0;
  let isStopped = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let revision = 0;
  let appliedAt = 0;
  let syncs = 0;
  const waiters = new Set<{ revision: number; resolve: () => void }>();

  async function sync(): Promise<void> {
    const at = plane.resourceVersion();
    const services = servicesForProxy(plane.list("Service"), plane.list("EndpointSlice"));
    const first = previous === null;
    const text = first
      ? renderNatRules(services, config, { includeJumpRules: true })
      : renderPartialSync(previous ?? [], services, config, { full: needFull });
    const result = await execInNetns(ns, "iptables-restore", ["--noflush"], { input: text, timeoutMs: 60_000 });
    if (result.code !== 0) {
      needFull = true;
      log(`kube-proxy ${node.name}: iptables-restore failed (exit ${result.code}): ${result.stderr.trim()}`);
      return;
    }
    previous = services;
    needFull = false;
    revision = at;
    appliedAt = Date.now();
    syncs++;
    for (const waiter of [...waiters]) {
      if (revision >= waiter.revision) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  const queue = () => {
    running = running.then(sync).catch((error: Error) => log(`kube-proxy ${node.name}: ${error.message}`));
    return running;
  };

  const proxy: NodeProxy = {
    node,
    requestSync() {
      if (isStopped || closed || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!isStopped && !closed) void queue();
      }, BATCH_MS + delayMs);
    },
    syncNow: () => queue(),
    setSyncDelay(ms) {
      delayMs = ms;
    },
    stop() {
      isStopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
    resume() {
      isStopped = false;
      proxy.requestSync();
    },
    stopped: () => isStopped,
    applied: () => ({ revision, at: appliedAt, syncs }),
    waitForRevision(wanted, timeoutMs = 30_000) {
      if (revision >= wanted) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { revision: wanted, resolve: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`kube-proxy on ${node.name} did not apply revision ${wanted} within ${timeoutMs} ms (at ${revision})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
  return proxy;
}
