/**
 * The option names whose grammar iptables fixes whatever the extension: `-m NAME`, `-j`/`-g TARGET`, `-c PKTS BYTES`
 * (and their long forms), and the address options whose arguments tell an IPv6 ruleset from an IPv4 one.
 */

export const SPECIAL_NONE = 0;
export const SPECIAL_MODULE = 1;
export const SPECIAL_TARGET = 2;
export const SPECIAL_COUNTERS = 3;

const DASH = 45;

/** Options with a fixed grammar: `-m NAME`, `-j/-g TARGET`, `-c PKTS BYTES` (short and long forms). */
export function specialOption(src: string, start: number, length: number): number {
  if (length === 2) {
    switch (src.charCodeAt(start + 1)) {
      case 109 /* m */:
        return SPECIAL_MODULE;
      case 106 /* j */:
      case 103 /* g */:
        return SPECIAL_TARGET;
      case 99 /* c */:
        return SPECIAL_COUNTERS;
      default:
        return SPECIAL_NONE;
    }
  }
  if (length < 6 || src.charCodeAt(start + 1) !== DASH) return SPECIAL_NONE;
  if (length === 7 && src.startsWith("--match", start)) return SPECIAL_MODULE;
  if (length === 6 && (src.startsWith("--jump", start) || src.startsWith("--goto", start))) return SPECIAL_TARGET;
  if (length === 14 && src.startsWith("--set-counters", start)) return SPECIAL_COUNTERS;
  return SPECIAL_NONE;
}

export const ADDRESS_NONE = 0;
/** `-s`/`-d` and long forms: an IPv6 address holds a `:`. */
export const ADDRESS_HOST = 1;
/** `--to-destination`, `--to-source`, `--to`: an IPv6 address is written `[addr]:port` (or `[addr]`). */
export const ADDRESS_NAT = 2;

const HOST_LONG_OPTIONS: readonly string[] = ["--source", "--src", "--destination", "--dst"];
const NAT_OPTIONS: readonly string[] = ["--to-destination", "--to-source", "--to"];

/** Which kind of address option `src[start, start + length)` names, if any (as `looksIPv6` in shared-options.ts). */
export function addressOption(src: string, start: number, length: number): number {
  if (length === 2) {
    const letter = src.charCodeAt(start + 1);
    return letter === 115 /* s */ || letter === 100 /* d */ ? ADDRESS_HOST : ADDRESS_NONE;
  }
  if (src.charCodeAt(start + 1) !== DASH) return ADDRESS_NONE;
  // By length first: this runs for every option of every rule until an IPv6 address shows.
  switch (length) {
    case 4:
    case 11:
    case 16:
      for (const name of NAT_OPTIONS) if (name.length === length && src.startsWith(name, start)) return ADDRESS_NAT;
      return ADDRESS_NONE;
    case 5:
    case 8:
    case 13:
      for (const name of HOST_LONG_OPTIONS) if (name.length === length && src.startsWith(name, start)) return ADDRESS_HOST;
      return ADDRESS_NONE;
    default:
      return ADDRESS_NONE;
  }
}
