import { describe, expect, it } from "vitest";
import type { ChangeView } from "@/lib/server/queries/list-changes";
import { groupChanges } from "./change-timeline";

const T = Date.parse("2026-11-26T12:30:00Z");
const NODES = ["cp", "w1", "w3"];
let id = 0;

function change(node: string, kind: string, address: string, delayMs: number, cause?: string): ChangeView {
  id++;
  return {
    id,
    at: new Date(T + delayMs),
    node,
    snapshotId: 100 + id,
    servicePort: "default/web:http",
    segment: "default~web:http",
    kind,
    summary: `${kind} ${address}`,
    detail: { endpoint: { address } },
    delayMs,
    cause: cause
      ? { eventId: cause.length, kind: "Pod", namespace: "default", name: cause, type: kind === "endpoint-added" ? "ADDED" : "DELETED", resourceVersion: "1", at: new Date(T - 2000), ip: address, delayMs: 2000 + delayMs }
      : null,
  };
}

describe("change timeline", () => {
  it("groups a pod restart seen by every node into one entry, the late node last with its delay", () => {
    const changes = [
      change("w3", "endpoint-added", "10.0.0.5:80", 4000, "web2"),
      change("w3", "endpoint-removed", "10.0.0.2:80", 4000, "web2"),
      change("cp", "endpoint-added", "10.0.0.5:80", 0, "web2"),
      change("cp", "endpoint-removed", "10.0.0.2:80", 0, "web2"),
      change("w1", "endpoint-added", "10.0.0.5:80", 0, "web2"),
      change("w1", "endpoint-removed", "10.0.0.2:80", 0, "web2"),
    ];
    const [entry, ...rest] = groupChanges(changes, NODES);
    expect(rest).toEqual([]);
    expect(entry?.firstAt.getTime()).toBe(T);
    expect(entry?.nodes.map((n) => [n.node, n.delayMs])).toEqual([["cp", 0], ["w1", 0], ["w3", 4000]]);
    expect(entry?.nodes[0]?.changes.map((c) => c.kind)).toEqual(["endpoint-removed", "endpoint-added"]);
    expect(entry?.summaries).toEqual(["endpoint-removed 10.0.0.2:80", "endpoint-added 10.0.0.5:80"]);
    expect(entry?.missing).toEqual([]);
    expect(entry?.causes).toHaveLength(1);
  });

  it("keeps separate syncs apart, newest first, and names the node that did not follow", () => {
    const changes = [change("cp", "endpoint-removed", "10.0.0.9:80", 0), change("w1", "endpoint-removed", "10.0.0.9:80", 0)];
    const older = { ...change("cp", "endpoint-added", "10.0.0.9:80", 0), at: new Date(T - 60_000) };
    const entries = groupChanges([...changes, older], NODES);
    expect(entries.map((e) => e.kinds)).toEqual([["endpoint-removed"], ["endpoint-added"]]);
    expect(entries[0]?.missing).toEqual(["w3"]);
    expect(entries[1]?.missing).toEqual(["w1", "w3"]);
  });
});
