/**
 * Reading the shared kube-proxy corpus (`<repo>/../shared/corpus/iptables`) for the renderer's tests and the lab.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Sidecar } from "./sidecar-to-input";

export const IPTABLES_CORPUS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../shared/corpus/iptables",
);

export interface CorpusDump {
  /** `006`, `101`, … */
  number: string;
  /** File name without extension. */
  name: string;
  sidecar: Sidecar;
  /** The `.txt`: what kube-proxy's test expects syncProxyRules to write. */
  expected: string;
}

/** Every dump with a sidecar whose number lies in [from, to]. */
export function corpusDumps(from: number, to: number): CorpusDump[] {
  return readdirSync(IPTABLES_CORPUS_DIR)
    .filter((f) => f.endsWith(".json") && /^\d{3}_/.test(f))
    .map((f) => f.slice(0, -".json".length))
    .filter((name) => {
      const n = Number(name.slice(0, 3));
      return n >= from && n <= to;
    })
    .sort()
    .map((name) => ({
      number: name.slice(0, 3),
      name,
      sidecar: JSON.parse(readFileSync(path.join(IPTABLES_CORPUS_DIR, `${name}.json`), "utf8")) as Sidecar,
      expected: readFileSync(path.join(IPTABLES_CORPUS_DIR, `${name}.txt`), "utf8"),
    }));
}
