/**
 * Notices rule changes within a second, so a kube-proxy sync is captured when it happens rather than at the next
 * timer tick.
 *
 * On nf_tables kernels `nft monitor` prints one line per added or deleted table, chain, rule or set element —
 * iptables-nft writes are nftables writes, so kube-proxy's `iptables-restore` shows up too — and it works inside a
 * network namespace. Counter updates print nothing, so the watch is quiet on a busy but stable node. Where
 * `nft monitor` is unavailable (legacy xtables, no nft binary) a poll hashes `iptables-save -t nat` (no counters).
 *
 * kube-proxy writes a sync as one transaction, but a burst of syncs can follow a rolling deployment: events are
 * debounced (capture after `debounceMs` of quiet), yet never held longer than `maxDelayMs` after the first one.
 */
import { createHash } from "node:crypto";
import type { CommandRunner } from "./capture/run-command";

/** A running watch. */
export interface ChangeWatch {
  /** `nft-monitor` or `poll`; changes to `poll` when the monitor dies. */
  mode(): "nft-monitor" | "poll";
  stop(): void;
}

export interface ChangeWatchOptions {
  debounceMs: number;
  maxDelayMs: number;
  pollMs: number;
  /** Use the poll from the start (legacy xtables backend: nft sees none of its rules). */
  pollOnly: boolean;
  onChange(): void;
  onProblem(msg: string, cause: string): void;
}

/** Starts watching; `onChange` is called (debounced) after each burst of rule changes. */
export function watchRuleChanges(runner: CommandRunner, options: ChangeWatchOptions): ChangeWatch {
  let stopped = false;
  let mode: "nft-monitor" | "poll" = options.pollOnly ? "poll" : "nft-monitor";
  let quietTimer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let monitor: { stop(): void } | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  const fire = () => {
    clearTimeout(quietTimer);
    quietTimer = undefined;
    firstEventAt = 0;
    if (!stopped) options.onChange();
  };
  const changed = () => {
    const now = Date.now();
    if (firstEventAt === 0) firstEventAt = now;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(fire, Math.max(0, Math.min(options.debounceMs, firstEventAt + options.maxDelayMs - now)));
  };

  const startPoll = () => {
    mode = "poll";
    let last: string | null = null;
    const tick = async () => {
      const started = Date.now();
      // Hashed as it streams: a large node's dump is tens of megabytes the poll has no reason to hold.
      const hash = createHash("sha256");
      const result = await runner.streamLines("iptables-save", ["-t", "nat"], (line) => {
        // The header and footer carry the time of the dump; only the rules are compared.
        if (!line.startsWith("#")) hash.update(`${line}\n`);
      });
      if (stopped) return;
      if (result.code === 0) {
        const digest = hash.digest("hex");
        if (last !== null && digest !== last) changed();
        last = digest;
      }
      // A poll costs a dump; on a large node it is spaced so it stays a small share of the time.
      pollTimer = setTimeout(() => void tick(), Math.max(options.pollMs, 10 * (Date.now() - started)));
    };
    void tick();
  };

  if (options.pollOnly) startPoll();
  else {
    const startedAt = Date.now();
    monitor = runner.follow(
      "nft",
      ["monitor"],
      (line) => {
        if (line.trim() !== "" && !line.startsWith("# new generation")) changed();
      },
      (code, stderr) => {
        if (stopped) return;
        options.onProblem(`nft monitor ended (exit ${code}); polling for rule changes instead`, stderr.trim() || `ran ${Date.now() - startedAt} ms`);
        startPoll();
      },
    );
  }

  return {
    mode: () => mode,
    stop() {
      stopped = true;
      clearTimeout(quietTimer);
      clearTimeout(pollTimer);
      monitor?.stop();
    },
  };
}
