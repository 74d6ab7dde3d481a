/**
 * Values nft(8) writes in more than one way: durations (`10800s` written by kube-proxy, `3h` listed back by nft) and
 * chain priorities (`-100` written, `dstnat` listed; `-110` written, `dstnat - 10` listed).
 */
import type { NftFamily } from "./types";

const DURATION_UNITS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };
const DURATION = /^(?:\d+(?:d|h|ms|m|s))+$/;

/** `10800s`, `3h`, `2h59m59s700ms`, `1d` → seconds; a bare number is seconds; null when not a duration. */
export function parseNftDuration(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  if (!DURATION.test(text)) return null;
  let seconds = 0;
  for (const part of text.matchAll(/(\d+)(d|h|ms|m|s)/g)) seconds += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Standard priority names of nft(8) ("STANDARD PRIORITY NAMES"). The bridge family places them differently, which
 * is why a name alone does not give a number.
 */
const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIORITY_NAMES: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

/** `-110`, `dstnat`, `dstnat - 10`, `filter + 5` → a number for `family`; null when a name is unknown. */
export function parseNftPriority(text: string, family: NftFamily): number | null {
  const match = /^\s*([a-z]+|-?\d+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(text);
  if (!match) return null;
  const names = family === "bridge" ? BRIDGE_PRIORITY_NAMES : PRIORITY_NAMES;
  const base = /^-?\d+$/.test(match[1]!) ? Number(match[1]) : names[match[1]!];
  if (base === undefined) return null;
  const offset = match[3] === undefined ? 0 : Number(match[3]) * (match[2] === "-" ? -1 : 1);
  return base + offset;
}
