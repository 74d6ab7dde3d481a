import { describe, expect, it } from "vitest";
import { diffRelist, objectKey, type KnownObject } from "./relist-diff";

const obj = (name: string, uid: string, rv: string): [string, KnownObject] => {
  const object = { metadata: { namespace: "default", name, uid, resourceVersion: rv } };
  return [objectKey(object), { uid, resourceVersion: rv, object }];
};

describe("diffRelist", () => {
  it("reports nothing when the list shows what was known", () => {
    const known = new Map([obj("web-1", "u1", "10"), obj("web-2", "u2", "11")]);
    expect(diffRelist(known, new Map(known))).toEqual([]);
  });

  it("turns a relist into the added, modified and deleted objects only", () => {
    const known = new Map([obj("same", "u1", "10"), obj("changed", "u2", "11"), obj("gone", "u3", "12")]);
    const listed = new Map([obj("same", "u1", "10"), obj("changed", "u2", "20"), obj("new", "u4", "21")]);
    expect(diffRelist(known, listed).map((e) => `${e.type} ${e.key} ${(e.object.metadata as { resourceVersion: string }).resourceVersion}`)).toEqual([
      "DELETED default/gone 12",
      "MODIFIED default/changed 20",
      "ADDED default/new 21",
    ]);
  });

  it("reports a name re-created with a new uid as a deletion and an addition", () => {
    const known = new Map([obj("db-0", "old", "10")]);
    const listed = new Map([obj("db-0", "new", "30")]);
    expect(diffRelist(known, listed).map((e) => `${e.type} ${(e.object.metadata as { uid: string }).uid}`)).toEqual(["DELETED old", "ADDED new"]);
  });

  it("keys cluster-scoped objects by name alone", () => {
    expect(objectKey({ metadata: { name: "myk8s-worker" } })).toBe("/myk8s-worker");
  });
});
