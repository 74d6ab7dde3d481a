/**
 * Small fields of an input line — blanks, words, `[p:b]` and `-c P B` counters — read in place with char codes:
 * they occur on every one of a dump's 230k lines, so nothing here builds a substring it does not return.
 */
import * as words from "./rule-words";
import type { WordScanner } from "./rule-words";
import type { PacketCounters } from "./types";

/*
 * Imports are read once into module constants: bundlers and vitest compile every use of an imported binding into a
 * getter call, which in the per-word loops costs more than the work itself on a 230k-rule dump.
 */
const { hasTab, readNumber } = words;

/** Reports a problem at an offset of the current line; never returns. */
export type Fail = (reason: string, at: number) => never;

const TAB = 9;
const SPACE = 32;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const COLON = 58;
const RIGHT_BRACKET = 93;

/**
 * `[0:0]` is the counter of most rules in a quiet table; one shared object stands for all of them (parsed dumps are
 * read-only, see types.ts).
 */
export const ZERO_COUNTERS: PacketCounters = { packets: 0, bytes: 0 };

export function sharedCounters(counters: PacketCounters): PacketCounters {
  return counters.packets === 0 && counters.bytes === 0 ? ZERO_COUNTERS : counters;
}

export function skipBlanks(input: string, i: number, end: number): number {
  while (i < end) {
    const c = input.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** End of the blank-delimited word starting at `i` (by native search when the scanner knows the line has no tab). */
export function wordEnd(input: string, i: number, end: number, scanner?: WordScanner): number {
  if (scanner !== undefined && !hasTab(scanner, i, end)) {
    const blank = input.indexOf(" ", i);
    return blank < 0 || blank > end ? end : blank;
  }
  while (i < end) {
    const c = input.charCodeAt(i);
    if (c === SPACE || c === TAB) break;
    i++;
  }
  return i;
}

export function isWordEnd(input: string, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = input.charCodeAt(i);
  return c === SPACE || c === TAB;
}

export function expectLineEnd(input: string, i: number, lineEnd: number, fail: Fail): void {
  const rest = skipBlanks(input, i, lineEnd);
  if (rest < lineEnd) fail(`unexpected text "${clip(input.slice(rest, lineEnd))}"`, rest);
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** Reads `[p:b]` at `i` (it ends at the first `]` after `i`, where the caller goes on). */
export function readBracketCounters(input: string, i: number, lineEnd: number, fail: Fail): PacketCounters {
  let j = i + 1;
  const packetsStart = j;
  while (j < lineEnd && isDigit(input.charCodeAt(j))) j++;
  if (j === packetsStart || j - packetsStart > 20 || j >= lineEnd || input.charCodeAt(j) !== COLON) {
    fail("counters must be [packets:bytes] with numbers", i);
  }
  const packetsEnd = j;
  j++;
  const bytesStart = j;
  while (j < lineEnd && isDigit(input.charCodeAt(j))) j++;
  if (j === bytesStart || j - bytesStart > 20 || j >= lineEnd || input.charCodeAt(j) !== RIGHT_BRACKET) {
    fail("counters must be [packets:bytes] with numbers", i);
  }
  const packets = readNumber(input, packetsStart, packetsEnd);
  const bytes = readNumber(input, bytesStart, j);
  return packets === 0 && bytes === 0 ? ZERO_COUNTERS : { packets, bytes };
}

/** Optional `-c PKTS BYTES` closing a `-P` line (`iptables -S -v`). */
export function readInlineCounters(input: string, i: number, lineEnd: number, fail: Fail): PacketCounters | null {
  const flagStart = skipBlanks(input, i, lineEnd);
  if (flagStart >= lineEnd) return null;
  if (!(input.startsWith("-c", flagStart) && isWordEnd(input, flagStart + 2, lineEnd))) {
    fail("-c PKTS BYTES or end of line expected", flagStart);
  }
  const values: number[] = [];
  let j = flagStart + 2;
  for (let k = 0; k < 2; k++) {
    const start = skipBlanks(input, j, lineEnd);
    j = wordEnd(input, start, lineEnd);
    if (start === j || j - start > 20) fail("-c needs packet and byte counts", flagStart);
    for (let d = start; d < j; d++) {
      if (!isDigit(input.charCodeAt(d))) fail("counters must be numbers", start);
    }
    values.push(readNumber(input, start, j));
  }
  expectLineEnd(input, j, lineEnd, fail);
  return sharedCounters({ packets: values[0] as number, bytes: values[1] as number });
}

/** A word quoted in an error message, cut short. */
export function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
