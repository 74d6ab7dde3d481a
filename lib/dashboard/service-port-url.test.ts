import { describe, expect, it } from "vitest";
import { parseServicePortParam, servicePortHref, servicePortParam } from "./service-port-url";

describe("service port URLs", () => {
  it.each([
    ["default/svc-clusterip:svc-webport", "tcp"],
    ["kube-system/kube-dns:dns", "udp"],
    ["default/kubernetes", "tcp"],
    ["ns/tcp", "sctp"],
    ["default/svc:", "tcp"],
  ])("round-trips %s/%s", (name, protocol) => {
    const segment = servicePortParam(name, protocol);
    expect(segment).not.toContain("/");
    expect(parseServicePortParam(segment)).toEqual({ name, protocol });
    expect(parseServicePortParam(encodeURIComponent(segment))).toEqual({ name, protocol });
  });

  it("reads the API's segment, without a protocol", () => {
    expect(parseServicePortParam("default~svc-clusterip:svc-webport")).toEqual({ name: "default/svc-clusterip:svc-webport", protocol: null });
    // A service named like a protocol is still a name when the segment has a single `~`.
    expect(parseServicePortParam("default~tcp")).toEqual({ name: "default/tcp", protocol: null });
  });

  it("refuses what names no service port", () => {
    for (const bad of ["", "default", "default~svc~http", "a~b~c~tcp", "Default~svc~tcp", "%E0%A4%A", "default~svc:p~tcp~"]) {
      expect(parseServicePortParam(bad)).toBeNull();
    }
  });

  it("links keep the query", () => {
    expect(servicePortHref("default/svc-clusterip:svc-webport", "TCP", { cluster: "myk8s", node: undefined })).toBe(
      "/services/default~svc-clusterip:svc-webport~tcp?cluster=myk8s",
    );
  });
});
