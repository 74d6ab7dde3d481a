import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipJson } from "./gzip-json";

describe("gzipJson", () => {
  it("compresses exactly the JSON text of the object, arrays of any size included", async () => {
    const value = {
      captureId: "c-1",
      nothing: undefined,
      empty: [],
      manifest: Array.from({ length: 20_000 }, (_, i) => ({ table: "nat", chain: `KUBE-SEP-${i}`, policy: null, digest: "ab".repeat(32) })),
      chains: [{ digest: "d", body: '-A KUBE-X -m comment --comment "a \\"quoted\\" word" -j RETURN' }],
      nested: { a: [1, 2, undefined], b: "x", c: undefined, d: { deep: [null, { e: 1 }] } },
      bodies: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`digest-${i}`, `-A KUBE-SEP-${i} -j RETURN`])),
      count: 3,
    };
    const packed = await gzipJson(value);
    expect(gunzipSync(packed).toString("utf8")).toBe(JSON.stringify(value));
    expect(packed.length).toBeLessThan(JSON.stringify(value).length / 5);
  });

  it("writes lazy members as arrays, in place of members of the same name, reading each element once", async () => {
    let reads = 0;
    function* bodies() {
      for (let i = 0; i < 3; i++) {
        reads++;
        yield { digest: `d${i}`, body: `-A X${i}` };
      }
    }
    const packed = await gzipJson({ captureId: "c", chains: [], counters: [{ a: 1 }] }, { chains: bodies() });
    expect(JSON.parse(gunzipSync(packed).toString("utf8"))).toEqual({
      captureId: "c",
      counters: [{ a: 1 }],
      chains: [0, 1, 2].map((i) => ({ digest: `d${i}`, body: `-A X${i}` })),
    });
    expect(reads).toBe(3);
  });

  it("writes an empty object", async () => {
    expect(gunzipSync(await gzipJson({})).toString("utf8")).toBe("{}");
  });
});
