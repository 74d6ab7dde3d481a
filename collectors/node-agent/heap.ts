/**
 * Prompt garbage collection for the agent's few large moments.
 *
 * A capture of a 10k-service node turns ≈25 MB of dump text into a few MB of digests: everything else it allocates
 * (lines, parsed rules, batch texts) is garbage within milliseconds. V8 sizes its heap by how much it has allocated
 * lately, not by how much stays alive, so left alone it lets such a capture grow the heap to several times the
 * live data before collecting — memory the agent then holds for good. Collecting at a few known points (every
 * so many lines of a dump, after an upload) keeps the peak near the live data, at a cost of milliseconds per
 * collection (the live data is small).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | null | undefined;

/** Runs a full garbage collection, where the runtime allows one (the documented `--expose-gc` route). */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
