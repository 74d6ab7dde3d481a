/**
 * The events waiting to be posted: a bounded queue, because natwatch may be down for longer than memory allows.
 * When full, the oldest event goes first — the newest state of the cluster matters most, and the server dedupes by
 * resourceVersion so later events still make sense without earlier ones. Drops are counted and reported with the
 * next successful post (`dropped` in the batch), so the gap is visible on the server.
 */
import type { KubeEventUpload } from "../../lib/contracts/kube-events";

/** A bounded FIFO of events with a drop counter. */
export interface EventBuffer {
  push(event: KubeEventUpload): void;
  /** The oldest `max` events, left in place until `acknowledge`. */
  peek(max: number): { events: KubeEventUpload[]; dropped: number; through: number };
  /** Removes the events a successful post carried (those of the `peek` that returned `through`) and the drops it reported. */
  acknowledge(sent: { through: number; dropped: number }): void;
  size(): number;
  /** Events dropped and not yet reported. */
  dropped(): number;
}

/** Creates a buffer holding at most `capacity` events. */
export function createEventBuffer(capacity: number): EventBuffer {
  // Each event gets a sequence number, so acknowledging a post removes exactly what it carried even when the oldest
  // events were dropped for room while the post was in flight.
  const queue: { seq: number; event: KubeEventUpload }[] = [];
  let nextSeq = 1;
  let dropped = 0;
  return {
    push(event) {
      queue.push({ seq: nextSeq++, event });
      while (queue.length > capacity) {
        queue.shift();
        dropped++;
      }
    },
    peek(max) {
      const head = queue.slice(0, max);
      return { events: head.map((e) => e.event), dropped, through: head.at(-1)?.seq ?? 0 };
    },
    acknowledge(sent) {
      while (queue.length > 0 && (queue[0] as { seq: number }).seq <= sent.through) queue.shift();
      dropped -= Math.min(dropped, sent.dropped);
    },
    size: () => queue.length,
    dropped: () => dropped,
  };
}
