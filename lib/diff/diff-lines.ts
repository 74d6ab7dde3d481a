/**
 * Line diff (Myers' O(ND) algorithm, "An O(ND) Difference Algorithm and Its Variations", 1986).
 *
 * Chains are compared rule by rule. kube-proxy rewrites whole chains on every sync but usually changes only a
 * few rules, so D (the number of edits) is small even when KUBE-SERVICES holds tens of thousands of rules; O(ND)
 * keeps that cheap where an LCS table would be quadratic.
 */

/** One step of an edit script: a line kept, added (only in `after`) or removed (only in `before`). */
export interface LineEdit {
  op: "keep" | "add" | "remove";
  text: string;
  /** 0-based index in `before` (keep/remove) or `after` (add). */
  index: number;
}

/** Edit script turning `before` into `after`, in order. */
export function diffLines(before: readonly string[], after: readonly string[]): LineEdit[] {
  // Common prefix and suffix are the usual case for chain rewrites; trimming them first keeps the
  // search space to the changed middle.
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }

  const edits: LineEdit[] = [];
  for (let i = 0; i < start; i++) edits.push({ op: "keep", text: before[i]!, index: i });
  edits.push(...myersMiddle(before, after, start, endBefore, start, endAfter));
  for (let i = endBefore; i < before.length; i++) edits.push({ op: "keep", text: before[i]!, index: i });
  return edits;
}

/**
 * Past this many edits the two chains have little in common and a precise script is not worth O(D²) memory:
 * the middle is reported as removed and re-added instead.
 */
const MAX_EDIT_DISTANCE = 4000;

function replaceAll(
  a: readonly string[],
  b: readonly string[],
  aStart: number,
  aEnd: number,
  bStart: number,
  bEnd: number,
): LineEdit[] {
  const edits: LineEdit[] = [];
  for (let i = aStart; i < aEnd; i++) edits.push({ op: "remove", text: a[i]!, index: i });
  for (let j = bStart; j < bEnd; j++) edits.push({ op: "add", text: b[j]!, index: j });
  return edits;
}

function myersMiddle(
  a: readonly string[],
  b: readonly string[],
  aStart: number,
  aEnd: number,
  bStart: number,
  bEnd: number,
): LineEdit[] {
  const n = aEnd - aStart;
  const m = bEnd - bStart;
  if (n === 0 && m === 0) return [];
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // The trace keeps, for each d, only the diagonals -d..d that step can reach: O(D²) memory in all.
  const trace: Int32Array[] = [];

  let found = false;
  outer: for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE); d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[aStart + x] === b[bStart + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break outer;
      }
    }
  }
  if (!found) return replaceAll(a, b, aStart, aEnd, bStart, bEnd);

  // Walk the trace backwards to recover the path.
  const reversed: LineEdit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    // trace[d] holds v[-d..d] of the state *before* step d, stored at index k + d.
    const vd = trace[d]!;
    const at = (kk: number) => vd[kk + d]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      reversed.push({ op: "keep", text: a[aStart + x]!, index: aStart + x });
    }
    if (d === 0) break;
    if (down) {
      y--;
      reversed.push({ op: "add", text: b[bStart + y]!, index: bStart + y });
    } else {
      x--;
      reversed.push({ op: "remove", text: a[aStart + x]!, index: aStart + x });
    }
  }
  return reversed.reverse();
}
