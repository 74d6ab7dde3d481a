/**
 * How much CPU the agent may spend on captures, measured the way a node's operator sees it: the agent's own CPU
 * time plus that of the commands it ran (`iptables-save` alone takes ≈1.8 s of CPU for a 10k-service nat table,
 * more than the agent's parsing of it).
 *
 * Two limits follow from the measured cost of a capture:
 * - the timer: the next routine capture waits `cost / TIMER_SHARE`, so routine captures stay under ~2% of a core
 *   however large the node's rule set is (and never sooner than the configured interval);
 * - rule changes: a token bucket of CPU seconds refilled at CHURN_SHARE of a core. A change after a quiet spell
 *   finds the bucket full and is captured at once; under continuous churn (kube-proxy syncing every second through
 *   a rolling deployment) captures are spaced so they cost at most a tenth of a core, not a whole one.
 */
import { readFileSync } from "node:fs";

/** Share of one core routine captures may use; below the 2% budget to leave room for the idle agent. */
export const TIMER_SHARE = 0.015;
/** Share of one core captures may use under continuous rule churn. */
export const CHURN_SHARE = 0.1;
/** CPU seconds a full bucket holds at least, so cheap captures are never held back by a burst of changes. */
const MIN_BURST_SECONDS = 1;
/** Linux's USER_HZ, the unit of /proc/PID/stat times; 100 on every architecture Kubernetes nodes run. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by this process (all its threads) and by its children that have exited and were waited
 * for (the capture commands). On a system without /proc the children's part is 0.
 */
export function processCpuSeconds(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + reapedChildrenSeconds();
}

function reapedChildrenSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name (which may hold spaces, so cut at its closing parenthesis): cutime and cstime
    // are fields 16 and 17 of the line, 14th and 15th after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The timer interval for a capture that cost `costSeconds` of CPU. */
export function adaptedIntervalMs(configuredMs: number, costSeconds: number): number {
  return Math.max(configuredMs, Math.round((costSeconds / TIMER_SHARE) * 1000));
}

/** Token bucket of CPU seconds for captures (see the module comment). */
export interface CaptureBudget {
  /** Milliseconds to wait before a capture expected to cost `costSeconds` fits in the budget (0: now). */
  waitMs(costSeconds: number, nowMs: number): number;
  /** Books a capture's measured cost. */
  spend(costSeconds: number, nowMs: number): void;
}

export function createCaptureBudget(share = CHURN_SHARE): CaptureBudget {
  let tokens = MIN_BURST_SECONDS;
  let capacity = MIN_BURST_SECONDS;
  let updatedAt: number | null = null;
  const refill = (nowMs: number) => {
    if (updatedAt !== null) tokens = Math.min(capacity, tokens + ((nowMs - updatedAt) / 1000) * share);
    updatedAt = nowMs;
  };
  return {
    waitMs(costSeconds, nowMs) {
      refill(nowMs);
      return tokens >= costSeconds ? 0 : Math.ceil(((costSeconds - tokens) / share) * 1000);
    },
    spend(costSeconds, nowMs) {
      refill(nowMs);
      // Room for two captures: one change after a quiet spell goes at once, and so does a follow-up right after.
      capacity = Math.max(MIN_BURST_SECONDS, 2 * costSeconds);
      tokens = Math.min(capacity, tokens) - costSeconds;
    },
  };
}
