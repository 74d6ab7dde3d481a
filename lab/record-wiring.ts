/**
 * `--record DIR`: the collectors post through a recording proxy (lab/recording/record-proxy.ts) that forwards to
 * natwatch and keeps every request in DIR. The module is loaded at run time so the lab works without it.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A running recording proxy. */
export interface RecordingProxy {
  url: string;
  close(): Promise<void>;
}

type StartRecordingProxy = (options: { target: string; dir: string }) => Promise<RecordingProxy>;

const moduleUrl = new URL("./recording/record-proxy.ts", import.meta.url);

export async function startRecording(target: string, dir: string): Promise<RecordingProxy> {
  if (!existsSync(fileURLToPath(moduleUrl))) throw new Error(`--record needs ${fileURLToPath(moduleUrl)}, which this checkout does not have yet`);
  const loaded = (await import(moduleUrl.href)) as { startRecordingProxy?: StartRecordingProxy };
  if (typeof loaded.startRecordingProxy !== "function") throw new Error("lab/recording/record-proxy.ts does not export startRecordingProxy");
  return loaded.startRecordingProxy({ target, dir });
}
