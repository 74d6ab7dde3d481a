/**
 * Chain bodies of one capture, kept on disk while the server may ask for them.
 *
 * The first capture of a 10k-service node keeps every body (≈21 MB of rule text) until the server has taken them;
 * in the heap, that text and V8's growth around it made up most of the agent's peak memory. Here bodies are
 * appended to a scratch file beside the spool as the dump is digested, and read back one at a time while the
 * upload streams them out. Each capture has its own store, removed once its upload is done.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/** Bodies by digest, written once, read any number of times. */
export interface BodyStore {
  put(digest: string, body: string): void;
  get(digest: string): string | undefined;
  has(digest: string): boolean;
  readonly size: number;
  /** Removes the file; the store is empty afterwards. */
  close(): void;
}

let counter = 0;

/** A store backed by a new file in `dir` (the spool directory, which the agent may write). */
export function openBodyStore(dir: string): BodyStore {
  const file = path.join(dir, `.bodies-${process.pid}-${counter++}.tmp`);
  let fd: number | null = openSync(file, "w+");
  const index = new Map<string, { at: number; length: number }>();
  let end = 0;
  return {
    put(digest, body) {
      if (fd === null || index.has(digest)) return;
      const data = Buffer.from(body, "utf8");
      writeSync(fd, data, 0, data.length, end);
      index.set(digest, { at: end, length: data.length });
      end += data.length;
    },
    get(digest) {
      const where = index.get(digest);
      if (fd === null || !where) return undefined;
      const data = Buffer.allocUnsafe(where.length);
      readSync(fd, data, 0, where.length, where.at);
      return data.toString("utf8");
    },
    has: (digest) => index.has(digest),
    get size() {
      return index.size;
    },
    close() {
      if (fd === null) return;
      closeSync(fd);
      fd = null;
      index.clear();
      rmSync(file, { force: true });
    },
  };
}
