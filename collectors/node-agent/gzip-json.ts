/**
 * Gzip'd JSON of an upload or a spooled capture without its JSON text in memory at once.
 *
 * The first capture of a 10k-service node carries every chain body, ≈25 MB of JSON: `JSON.stringify` of it whole
 * plus the gzip buffers was a large share of the agent's peak memory. Here the value is written piece by piece —
 * the members of objects and the elements of arrays, two levels down (upload → manifest → entry) — into a gzip
 * stream that keeps only compressed bytes. A member may also be given as an iterable (`lazy`), written as an array
 * element by element, so that chain bodies can be read from disk one at a time while they are compressed.
 */
import { once } from "node:events";
import { createGzip } from "node:zlib";

/** Text gathered before a write to the compressor: small enough to keep little, large enough to be cheap. */
const PIECE_CHARS = 256 * 1024;
/** Levels of objects and arrays written piece by piece; deeper values are small and stringified whole. */
const STREAMED_DEPTH = 2;

/**
 * Gzip of `JSON.stringify({ ...value, ...lazy as arrays })` for plain data (no `toJSON`, no cycles). Members of
 * `lazy` replace the members of `value` of the same name.
 */
export async function gzipJson(value: object, lazy: Record<string, Iterable<unknown>> = {}): Promise<Buffer> {
  return Buffer.concat(await gzipJsonChunks(value, lazy));
}

/** `gzipJson` as the compressor's chunks, for a caller that writes them out one by one (no copy into one buffer). */
export async function gzipJsonChunks(value: object, lazy: Record<string, Iterable<unknown>> = {}): Promise<Buffer[]> {
  const gzip = createGzip();
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = once(gzip, "end");
  let piece = "";
  const write = async (text: string) => {
    piece += text;
    if (piece.length < PIECE_CHARS) return;
    const flowing = gzip.write(piece);
    piece = "";
    if (!flowing) await once(gzip, "drain");
  };

  const writeArray = async (items: Iterable<unknown>, depth: number) => {
    await write("[");
    let first = true;
    for (const item of items) {
      if (!first) await write(",");
      first = false;
      // JSON.stringify writes null for an undefined element or a function.
      if (item === undefined || typeof item === "function") await write("null");
      else await writeValue(item, depth + 1);
    }
    await write("]");
  };
  /** Writes an object's members (without braces); `first` says whether none was written yet. Returns it updated. */
  const writeMembers = async (members: Iterable<[string, unknown]>, depth: number, first: boolean): Promise<boolean> => {
    for (const [key, member] of members) {
      // JSON.stringify leaves out undefined members and functions.
      if (member === undefined || typeof member === "function") continue;
      await write(`${first ? "" : ","}${JSON.stringify(key)}:`);
      first = false;
      await writeValue(member, depth + 1);
    }
    return first;
  };
  const writeObject = async (members: Iterable<[string, unknown]>, depth: number) => {
    await write("{");
    await writeMembers(members, depth, true);
    await write("}");
  };
  const writeValue = async (item: unknown, depth: number): Promise<void> => {
    if (depth >= STREAMED_DEPTH || item === null || typeof item !== "object") await write(JSON.stringify(item));
    else if (Array.isArray(item)) await writeArray(item, depth);
    else await writeObject(Object.entries(item), depth);
  };

  const members: [string, unknown][] = Object.entries(value).filter(([key]) => !(key in lazy));
  await write("{");
  let first = await writeMembers(members, 0, true);
  for (const [key, items] of Object.entries(lazy)) {
    await write(`${first ? "" : ","}${JSON.stringify(key)}:`);
    first = false;
    await writeArray(items, 1);
  }
  gzip.end(`${piece}}`);
  await ended;
  return out;
}
