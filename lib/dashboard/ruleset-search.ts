/**
 * Search over a snapshot's chains by IP, port or chain name. A chain matches when its name contains the term, or
 * one of its rules holds the term as a whole token: `10.200.1.20` must not match `10.200.1.201`, nor `80` match
 * `8080` — an address or port is a token between separators (space, `:`, `/`, `"`, `,`), not a substring.
 */
export interface ChainForSearch {
  chain: string;
  rules: readonly string[];
}

/** The token pattern of `term` (case-insensitive), or null for an empty term. */
export function searchPattern(term: string): RegExp | null {
  const trimmed = term.trim();
  if (!trimmed) return null;
  const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\w.-])${escaped}(?![\\w.-]*[\\w])`, "i");
}

/** True when `chain` matches the search (see the module comment). */
export function chainMatches(chain: ChainForSearch, term: string, pattern: RegExp | null): boolean {
  if (!pattern) return true;
  if (chain.chain.toLowerCase().includes(term.trim().toLowerCase())) return true;
  return chain.rules.some((rule) => pattern.test(rule));
}
