/**
 * The few IP address operations the renderer needs, done the way kube-proxy's Go code does them, so rendered text
 * matches what kube-proxy would write: `netutils.ParseIPSloppy` accepts IPv4 octets with leading zeros and reads them
 * as decimal (`172.30.0.041` → `172.30.0.41`, see the corpus' TestBadIPs), and `net.IP.String()` prints IPv6 in
 * RFC 5952 form. CIDRs print as their masked network (`net.IPNet.String()`).
 */
import type { IpFamily } from "./types";

/** An address as 4 (IPv4) or 8 (IPv6) numeric groups. */
interface ParsedIp {
  family: IpFamily;
  groups: number[];
}

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    // Sloppy parsing: leading zeros are decimal, not octal.
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    octets.push(value);
  }
  return octets;
}

function parseIPv6(text: string): number[] | null {
  let head = text;
  let tail4: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    // IPv4-embedded form (::ffff:1.2.3.4): the last 32 bits are written as dotted decimal.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail4 = [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
    head = text.slice(0, lastColon + 1) + "0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const toGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const groups: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = toGroups(halves[0] ?? "");
  const right = halves.length === 2 ? toGroups(halves[1] ?? "") : [];
  if (!left || !right) return null;
  if (tail4.length) (right.length ? right : left).pop();
  const explicit = left.length + right.length + tail4.length;
  if (halves.length === 1 && explicit !== 8) return null;
  if (halves.length === 2 && explicit > 7) return null;
  return [...left, ...new Array<number>(8 - explicit).fill(0), ...right, ...tail4];
}

function parseIp(text: string): ParsedIp | null {
  const trimmed = text.trim();
  if (trimmed.includes(":")) {
    const groups = parseIPv6(trimmed);
    return groups ? { family: "ipv6", groups } : null;
  }
  const octets = parseIPv4(trimmed);
  return octets ? { family: "ipv4", groups: octets } : null;
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥2) of zero groups as `::`, leftmost on ties. */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLength).join(":");
}

function formatIp(ip: ParsedIp): string {
  return ip.family === "ipv4" ? ip.groups.join(".") : formatIPv6(ip.groups);
}

/** The address as kube-proxy prints it, or null when it does not parse. */
export function normalizeIp(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : null;
}

/** Family of an address or CIDR, or null when it does not parse. */
export function ipFamilyOf(text: string): IpFamily | null {
  return parseIp(text.split("/")[0] ?? "")?.family ?? null;
}

interface ParsedCidr {
  network: ParsedIp;
  prefix: number;
}

function parseCidr(text: string): ParsedCidr | null {
  const [address, prefixText, extra] = text.trim().split("/");
  if (address === undefined || prefixText === undefined || extra !== undefined) return null;
  const ip = parseIp(address);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bitsPerGroup = ip.family === "ipv4" ? 8 : 16;
  if (prefix > ip.groups.length * bitsPerGroup) return null;
  const groups = ip.groups.map((g, i) => {
    const keep = Math.min(bitsPerGroup, Math.max(0, prefix - i * bitsPerGroup));
    const mask = keep === 0 ? 0 : ((1 << bitsPerGroup) - 1) & ~((1 << (bitsPerGroup - keep)) - 1);
    return g & mask;
  });
  return { network: { family: ip.family, groups }, prefix };
}

/** The CIDR as `net.IPNet.String()` prints it (masked network, `203.0.113.000/025` → `203.0.113.0/25`), or null. */
export function normalizeCidr(text: string): string | null {
  const cidr = parseCidr(text);
  return cidr ? `${formatIp(cidr.network)}/${cidr.prefix}` : null;
}

/** True when `ip` lies inside `cidr` (same family only). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  const addr = parseIp(ip);
  if (!net || !addr || net.network.family !== addr.family) return false;
  const masked = parseCidr(`${formatIp(addr)}/${net.prefix}`);
  return masked !== null && masked.network.groups.every((g, i) => g === net.network.groups[i]);
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(ip: string): boolean {
  return cidrContains("127.0.0.0/8", ip) || normalizeIp(ip) === "::1";
}

/** `ip:port`, or `[ip]:port` for IPv6 — Go's `net.JoinHostPort`, which kube-proxy uses for endpoint strings. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
