import { describe, expect, it } from "vitest";
import type { ServicePortOnNode } from "@/lib/server/queries/list-service-ports";
import { describeDisagreement } from "./node-disagreement";

function node(name: string, addresses: string[], nodePorts: number[] = []): ServicePortOnNode {
  return {
    node: name,
    snapshotId: 1,
    lastSeen: new Date(0),
    present: true,
    agrees: true,
    svcChain: "KUBE-SVC-X",
    svlChain: null,
    extChain: nodePorts.length ? "KUBE-EXT-X" : null,
    fwChain: null,
    clusterIPs: ["10.200.1.201:9000"],
    externalIPs: [],
    loadBalancerIPs: [],
    nodePorts,
    externalTrafficPolicy: "Cluster",
    internalTrafficPolicy: "Cluster",
    affinitySeconds: null,
    endpoints: addresses.map((address) => ({ address, sepChain: `KUBE-SEP-${address}`, share: 1 / addresses.length, probabilityText: null, via: "cluster", packets: 0 })),
    packets: 0,
  };
}

describe("why a node disagrees", () => {
  it("names a stuck node's leftover endpoints and the node port it lacks", () => {
    const majority = node("w1", ["10.10.1.2:80", "10.10.2.5:80"], [30007]);
    const stuck = node("w3", ["10.10.1.2:80", "10.10.2.5:80", "10.10.1.3:80"]);
    expect(describeDisagreement(majority, stuck)).toEqual(["still balances to 10.10.1.3:80", "lacks node port 30007"]);
    expect(describeDisagreement(majority, node("w2", ["10.10.1.2:80"], [30007]))).toEqual(["lacks endpoint 10.10.2.5:80"]);
  });

  it("says when the node has no rules for the port, or differs only in weights", () => {
    expect(describeDisagreement(node("w1", ["a:1"]), { ...node("w3", []), present: false })).toEqual(["has no rules for this port"]);
    expect(describeDisagreement(node("w1", ["a:1"]), node("w3", ["a:1"]))).toEqual(["balances with other weights or chains"]);
  });
});
