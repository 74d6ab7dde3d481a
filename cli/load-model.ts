import { readProxyModel } from "../lib/kube-proxy/read-proxy-model";
import type { ProxyModel } from "../lib/kube-proxy/types";
import { CliFailure } from "./io";

/** Reads a capture into its model, or fails with `SOURCE:LINE:COLUMN: reason: text` (exit status 2). */
export function loadModel(text: string, source: string): ProxyModel {
  const result = readProxyModel(text);
  if (result.ok) return result.model;
  const { line, column, reason, text: offending } = result.error;
  const name = source === "-" ? "stdin" : source;
  throw new CliFailure(`${name}:${line}:${column}: ${reason}${offending ? `: ${offending.slice(0, 120)}` : ""}`);
}
