/**
 * The on-disk form of a recording: what the collectors posted to natwatch's ingest routes, in the order the server
 * answered, one request per line of `ingest.ndjson`. Lines are JSON with a fixed key order (`at`, `path`, `status`,
 * `body`), so two recordings of the same scenario diff line by line. A recording over `GZIP_ABOVE_BYTES` is kept as
 * `ingest.ndjson.gz` instead, to keep checked-in recordings small; readers accept either.
 *
 * `scenario.json` beside it is the lab's account of the scenario (step times and results); natwatch reads it only
 * to shift its times along with the requests' (see time-shift.ts).
 */
import { gunzipSync } from "node:zlib";
import { access, readFile } from "node:fs/promises";
import path from "node:path";

/** The ingest routes a recording keeps. */
export const RECORDED_PATHS = ["/api/v1/captures", "/api/v1/kube-events"] as const;
export type RecordedPath = (typeof RECORDED_PATHS)[number];

export const INGEST_FILE = "ingest.ndjson";
export const INGEST_FILE_GZ = "ingest.ndjson.gz";
export const SCENARIO_FILE = "scenario.json";

/** Recordings above this many bytes are gzip'd when the recording closes (NDJSON of manifests compresses ~10×). */
export const GZIP_ABOVE_BYTES = 512 * 1024;

/** One recorded ingest request. */
export interface RecordedRequest {
  /** When the proxy received the request (ISO-8601, UTC). */
  at: string;
  path: RecordedPath;
  /** The server's answer: 2xx stored, anything else stored nothing. */
  status: number;
  /** The request body, decoded (gunzip'd, parsed); null when it was not JSON. */
  body: unknown;
}

/** One line of `ingest.ndjson`. */
export function formatRecordedRequest(request: RecordedRequest): string {
  return JSON.stringify({ at: request.at, path: request.path, status: request.status, body: request.body });
}

/** A recording read back: its requests in order and its scenario.json, if the lab wrote one. */
export interface Recording {
  dir: string;
  requests: RecordedRequest[];
  scenario: unknown;
}

/** Reads the recording in `dir`; throws naming the file and line of anything unreadable. */
export async function readRecording(dir: string): Promise<Recording> {
  const text = await readIngestText(dir);
  const requests: RecordedRequest[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let parsed: RecordedRequest;
    try {
      parsed = JSON.parse(line) as RecordedRequest;
    } catch (error) {
      throw new Error(`${path.join(dir, INGEST_FILE)} line ${index + 1}: ${(error as Error).message}`);
    }
    if (typeof parsed.at !== "string" || !(RECORDED_PATHS as readonly string[]).includes(parsed.path) || typeof parsed.status !== "number") {
      throw new Error(`${path.join(dir, INGEST_FILE)} line ${index + 1}: not a recorded request (at, path, status, body)`);
    }
    requests.push(parsed);
  }
  const scenarioText = await readFile(path.join(dir, SCENARIO_FILE), "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  return { dir, requests, scenario: scenarioText === null ? null : (JSON.parse(scenarioText) as unknown) };
}

/** True when `dir` holds a recording. */
export async function hasRecording(dir: string): Promise<boolean> {
  const exists = (file: string) => access(path.join(dir, file)).then(() => true, () => false);
  return (await exists(INGEST_FILE)) || (await exists(INGEST_FILE_GZ));
}

async function readIngestText(dir: string): Promise<string> {
  try {
    return await readFile(path.join(dir, INGEST_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return gunzipSync(await readFile(path.join(dir, INGEST_FILE_GZ))).toString("utf8");
}
