import { describe, expect, it } from "vitest";
import { diffLines, type LineEdit } from "./diff-lines";
import { seededRandom } from "../random/seeded-random";

/** Rebuilds both sides from an edit script: `before` from keep+remove, `after` from keep+add. */
function sides(edits: LineEdit[]) {
  return {
    before: edits.filter((e) => e.op !== "add").map((e) => e.text),
    after: edits.filter((e) => e.op !== "remove").map((e) => e.text),
  };
}


describe("diffLines", () => {
  it("reports a replaced KUBE-SEP jump as one removal and one addition, keeping the rest", () => {
    const before = [
      "-A KUBE-SVC-X -m comment --comment \"default/web:http -> 10.10.1.2:80\" -j KUBE-SEP-A",
      "-A KUBE-SVC-X -m comment --comment \"default/web:http -> 10.10.2.2:80\" -j KUBE-SEP-B",
      "-A KUBE-SVC-X -m comment --comment \"default/web:http -> 10.10.3.3:80\" -j KUBE-SEP-C",
    ];
    const after = [before[0]!, "-A KUBE-SVC-X -m comment --comment \"default/web:http -> 10.10.2.7:80\" -j KUBE-SEP-D", before[2]!];
    const edits = diffLines(before, after);
    expect(edits.map((e) => e.op)).toEqual(["keep", "remove", "add", "keep"]);
    expect(edits.find((e) => e.op === "add")?.text).toContain("10.10.2.7:80");
  });

  it("handles empty sides", () => {
    expect(diffLines([], [])).toEqual([]);
    expect(diffLines(["a"], []).map((e) => e.op)).toEqual(["remove"]);
    expect(diffLines([], ["a", "b"]).map((e) => e.op)).toEqual(["add", "add"]);
  });

  it("gives a minimal script that rebuilds both sides for random edits", () => {
    const random = seededRandom(42);
    for (let round = 0; round < 300; round++) {
      const before = Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(97 + Math.floor(random() * 6)));
      const after = before.filter(() => random() > 0.2);
      for (let i = 0; i < 5; i++) after.splice(Math.floor(random() * (after.length + 1)), 0, String.fromCharCode(97 + Math.floor(random() * 6)));
      const edits = diffLines(before, after);
      expect(sides(edits)).toEqual({ before, after });
      // Minimality: the number of kept lines equals the longest common subsequence.
      expect(edits.filter((e) => e.op === "keep").length).toBe(lcsLength(before, after));
    }
  });

  it("stays linear for a large chain with few changes", () => {
    const before = Array.from({ length: 50_000 }, (_, i) => `-A KUBE-SERVICES rule ${i}`);
    const after = [...before];
    after.splice(25_000, 1, "-A KUBE-SERVICES replaced");
    const edits = diffLines(before, after);
    expect(edits.filter((e) => e.op !== "keep")).toHaveLength(2);
  });

  it("falls back to remove-all/add-all when the sides share nothing over thousands of lines", () => {
    const before = Array.from({ length: 3000 }, (_, i) => `a${i}`);
    const after = Array.from({ length: 3000 }, (_, i) => `b${i}`);
    const edits = diffLines(before, after);
    expect(sides(edits)).toEqual({ before, after });
  });
});

function lcsLength(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j]!, row[j - 1]!);
      diagonal = up;
    }
  }
  return row[b.length]!;
}
