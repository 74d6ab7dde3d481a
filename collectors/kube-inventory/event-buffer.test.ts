import { describe, expect, it } from "vitest";
import type { KubeEventUpload } from "../../lib/contracts/kube-events";
import { createEventBuffer } from "./event-buffer";
import { backoffDelay } from "./ship-events";

const event = (rv: number): KubeEventUpload => ({
  kind: "Pod",
  type: "MODIFIED",
  observedAt: "2026-11-27T10:00:00.000Z",
  object: { metadata: { name: "web-1", namespace: "default", resourceVersion: String(rv) } },
});
const rvs = (events: KubeEventUpload[]) => events.map((e) => e.object.metadata.resourceVersion);

describe("event buffer", () => {
  it("drops the oldest events when full and reports how many", () => {
    const buffer = createEventBuffer(3);
    for (let rv = 1; rv <= 5; rv++) buffer.push(event(rv));
    const head = buffer.peek(10);
    expect(rvs(head.events)).toEqual(["3", "4", "5"]);
    expect(head.dropped).toBe(2);
    buffer.acknowledge(head);
    expect(buffer.size()).toBe(0);
    expect(buffer.dropped()).toBe(0);
  });

  it("acknowledges exactly what a post carried, even when drops made room during the post", () => {
    const buffer = createEventBuffer(3);
    for (let rv = 1; rv <= 3; rv++) buffer.push(event(rv));
    const inFlight = buffer.peek(2);
    buffer.push(event(4)); // drops rv 1 while rv 1–2 are being posted
    buffer.push(event(5)); // drops rv 2
    buffer.acknowledge(inFlight);
    expect(rvs(buffer.peek(10).events)).toEqual(["3", "4", "5"]);
    // The two drops happened after the post's snapshot: they are still to be reported.
    expect(buffer.dropped()).toBe(2);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with full jitter", () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 30_000, () => 1))).toEqual([500, 1000, 2000, 4000, 30_000]);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(0);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(2000);
  });
});
