/**
 * The durable spool: captures that could not be uploaded wait here, one gzip'd JSON file each (a capture with the
 * bodies of a 10k-service node's changed chains is megabytes of text, a tenth of that compressed, and the spool's
 * byte bound then holds ten times as many captures), and are replayed in the
 * order they were taken. Files are named by a sequence number so that a directory listing is that order, also
 * after a restart. The spool is bounded by file count and bytes; when full, the oldest captures are dropped first
 * (the newest state of a node matters most) and the number dropped is kept, in the spool itself, until an upload
 * reports it to the server (`dropped`).
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import type { CaptureUpload } from "../../lib/contracts/capture";
import { gzipJson } from "./gzip-json";

/** One spooled capture: the full upload (manifest included) and the bodies of chains the server may lack. */
export interface SpoolEntry {
  upload: CaptureUpload;
  /** Bodies by digest of the chains the server was not known to have when the capture was spooled. */
  bodies: Record<string, string>;
}

/** A spooled file, oldest first in listings. */
export interface SpooledFile {
  name: string;
  bytes: number;
}

/** The spool of one agent. */
export interface Spool {
  /** Appends a capture; returns how many old captures were dropped to make room. */
  append(entry: SpoolEntry): Promise<number>;
  /** Spooled captures, oldest first. */
  files(): readonly SpooledFile[];
  /** Reads one; null for a file that is gone or unreadable (it is removed). */
  read(file: SpooledFile): Promise<SpoolEntry | null>;
  remove(file: SpooledFile): Promise<void>;
  /** Captures dropped and not yet reported. */
  dropped(): number;
  /** Forgets `n` dropped captures, once an upload carrying them was accepted. */
  reportDropped(n: number): Promise<void>;
  depth(): { files: number; bytes: number };
}

export interface SpoolLimits {
  maxFiles: number;
  maxBytes: number;
}

/** `.json.gz`; plain `.json` files are the spool of an earlier agent version, still read. */
const FILE_PATTERN = /^(\d{12})-[A-Za-z0-9_-]+\.json(\.gz)?$/;
const DROPPED_FILE = "dropped.json";

/** Opens (creating) the spool in `dir`, picking up what an earlier run left there. */
export async function openSpool(dir: string, limits: SpoolLimits): Promise<Spool> {
  await mkdir(dir, { recursive: true });
  const names = (await readdir(dir)).filter((n) => FILE_PATTERN.test(n)).sort();
  const files: SpooledFile[] = [];
  for (const name of names) files.push({ name, bytes: (await stat(path.join(dir, name))).size });
  let next = files.length > 0 ? Number(FILE_PATTERN.exec(files[files.length - 1]!.name)![1]) + 1 : 1;
  let dropped = await readDropped(dir);

  const saveDropped = () => writeAtomically(path.join(dir, DROPPED_FILE), JSON.stringify({ dropped }));
  const totalBytes = () => files.reduce((sum, f) => sum + f.bytes, 0);

  const remove = async (file: SpooledFile) => {
    const index = files.findIndex((f) => f.name === file.name);
    if (index >= 0) files.splice(index, 1);
    await rm(path.join(dir, file.name), { force: true });
  };

  return {
    async append(entry) {
      const data = await gzipJson(entry);
      const bytes = data.length;
      let dropping = 0;
      // Make room first, so the spool never holds more than its bounds, even for a moment.
      while (files.length - dropping > 0 && (files.length - dropping + 1 > limits.maxFiles || totalBytesAfter(files, dropping) + bytes > limits.maxBytes)) dropping++;
      for (const old of files.splice(0, dropping)) await rm(path.join(dir, old.name), { force: true });
      if (dropping > 0) {
        dropped += dropping;
        await saveDropped();
      }
      const name = `${String(next++).padStart(12, "0")}-${entry.upload.captureId}.json.gz`;
      await writeAtomically(path.join(dir, name), data);
      files.push({ name, bytes });
      return dropping;
    },
    files: () => files,
    async read(file) {
      try {
        const data = await readFile(path.join(dir, file.name));
        return JSON.parse((file.name.endsWith(".gz") ? gunzipSync(data) : data).toString("utf8")) as SpoolEntry;
      } catch {
        await remove(file);
        return null;
      }
    },
    remove,
    dropped: () => dropped,
    async reportDropped(n) {
      dropped = Math.max(0, dropped - n);
      await saveDropped();
    },
    depth: () => ({ files: files.length, bytes: totalBytes() }),
  };
}

function totalBytesAfter(files: readonly SpooledFile[], skip: number): number {
  let sum = 0;
  for (let i = skip; i < files.length; i++) sum += files[i]!.bytes;
  return sum;
}

/** Write then rename: a crash leaves the old file or the new one, never half a capture. */
async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

async function readDropped(dir: string): Promise<number> {
  try {
    const value = (JSON.parse(await readFile(path.join(dir, DROPPED_FILE), "utf8")) as { dropped?: unknown }).dropped;
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}
