/**
 * Reads what one rule of a kube-proxy nftables chain does, from its tokens. kube-proxy writes a small, fixed set of
 * rule shapes (pkg/proxy/nftables/proxier.go); each is recognized here, and a rule with any other word is marked
 * `understood: false` so the model can report it instead of guessing.
 *
 *   ip daddr VIP ip saddr != PODCIDR jump mark-for-masquerade        service chain, off-cluster masquerade
 *   ip saddr @affinity-… goto endpoint-…                              service chain, ClientIP affinity
 *   numgen random mod N vmap { 0 : goto endpoint-…, … }               service chain, balancing
 *   ip saddr EP jump mark-for-masquerade                              endpoint chain, hairpin
 *   update @affinity-… { ip saddr }                                   endpoint chain, affinity
 *   meta l4proto tcp dnat to EP:PORT                                  endpoint chain
 *   fib saddr type local jump mark-for-masquerade                     external chain, Local policy
 *   ip saddr != { CIDR, … } drop                                      firewall chain
 */
import { parseNftDuration } from "./nft-values";
import type { NftCounter, NftRule, NftVerdict } from "./types";

/** An address match: `ip daddr 172.30.0.41`, `ip saddr != 10.0.0.0/8`, `ip saddr @affinity-…`. */
export interface AddressMatch {
  value: string;
  negated: boolean;
}

/** One entry of `vmap { 0 : goto endpoint-… }`. */
export interface VmapEntry {
  index: number;
  verdict: NftVerdict;
}

/** What a rule does, as far as the kube-proxy model needs to know. */
export interface NftRuleView {
  daddr: AddressMatch | null;
  saddr: AddressMatch | null;
  /** `fib saddr type local`: the packet comes from an address of this node. */
  fromLocalAddress: boolean;
  /** `numgen random mod N`, or null. */
  numgenModulus: number | null;
  /** Entries of an anonymous verdict map, in index order; null when the rule has none. */
  vmap: VmapEntry[] | null;
  /** `vmap @NAME`: a named verdict map. */
  vmapSet: string | null;
  /** The rule's own verdict (`jump X`, `goto X`, `drop`, `reject`, …); null when it has none. */
  verdict: NftVerdict | { kind: "reject"; chain: null } | null;
  /** `dnat to ADDRESS` target as written (`10.180.0.1:80`, `[fd00::1]:80`). */
  dnatTo: string | null;
  /** `update @SET { ip saddr [timeout T] }`. */
  update: { set: string; timeoutSeconds: number | null } | null;
  /** Every named set the rule refers to with `@NAME`. */
  setRefs: string[];
  counter: NftCounter | null;
  /** False when a word is not part of a shape kube-proxy writes. */
  understood: boolean;
}

const ADDRESS_FAMILIES = new Set(["ip", "ip6"]);

/** The tokens of a `{ … }` starting at `open`, and the index after its `}`; null when unbalanced. */
function braced(tokens: readonly string[], open: number): { inner: string[]; next: number } | null {
  if (tokens[open] !== "{") return null;
  const close = tokens.indexOf("}", open);
  return close < 0 ? null : { inner: tokens.slice(open + 1, close), next: close + 1 };
}

function readVmapEntries(inner: readonly string[]): VmapEntry[] | null {
  const entries: VmapEntry[] = [];
  for (let i = 0; i < inner.length; ) {
    const [index, colon, kind, chain] = inner.slice(i, i + 4);
    if (!/^\d+$/.test(index ?? "") || colon !== ":" || (kind !== "goto" && kind !== "jump") || chain === undefined) return null;
    entries.push({ index: Number(index), verdict: { kind, chain } });
    i += 4;
    if (i < inner.length && inner[i++] !== ",") return null;
  }
  return entries;
}

/** Reads one rule. Never throws; unknown words only clear `understood`. */
export function readNftRule(rule: NftRule): NftRuleView {
  const t = rule.tokens;
  const view: NftRuleView = {
    daddr: null, saddr: null, fromLocalAddress: false, numgenModulus: null, vmap: null, vmapSet: null, verdict: null,
    dnatTo: null, update: null, setRefs: [], counter: rule.counter, understood: true,
  };
  for (let i = 0; i < t.length; ) {
    const word = t[i]!;
    const next = t[i + 1];
    if (ADDRESS_FAMILIES.has(word) && (next === "daddr" || next === "saddr")) {
      const negated = t[i + 2] === "!=";
      const at = i + 2 + (negated ? 1 : 0);
      const set = braced(t, at);
      const value = set ? set.inner.filter((v) => v !== ",").join(", ") : t[at];
      if (value === undefined) return { ...view, understood: false };
      if (value.startsWith("@")) view.setRefs.push(value.slice(1));
      view[next] = { value, negated };
      i = set ? set.next : at + 1;
    } else if (word === "fib" && next === "saddr" && t[i + 2] === "type" && t[i + 3] === "local") {
      view.fromLocalAddress = true;
      i += 4;
    } else if (word === "meta" && next === "l4proto" && t[i + 2] !== undefined) {
      i += 3;
    } else if (word === "numgen" && next === "random" && t[i + 2] === "mod" && /^\d+$/.test(t[i + 3] ?? "")) {
      view.numgenModulus = Number(t[i + 3]);
      i += 4;
    } else if (word === "vmap" && next?.startsWith("@")) {
      view.vmapSet = next.slice(1);
      view.setRefs.push(view.vmapSet);
      i += 2;
    } else if (word === "vmap") {
      const map = braced(t, i + 1);
      const entries = map ? readVmapEntries(map.inner) : null;
      if (!map || !entries) return { ...view, understood: false };
      view.vmap = entries.sort((a, b) => a.index - b.index);
      i = map.next;
    } else if ((word === "goto" || word === "jump") && next !== undefined) {
      view.verdict = { kind: word, chain: next };
      i += 2;
    } else if (word === "drop" || word === "accept" || word === "return" || word === "reject") {
      view.verdict = { kind: word, chain: null };
      i += 1;
    } else if (word === "dnat" && (next === "to" || (ADDRESS_FAMILIES.has(next ?? "") && t[i + 2] === "to"))) {
      const at = next === "to" ? i + 2 : i + 3;
      view.dnatTo = t[at] ?? null;
      if (view.dnatTo === null) return { ...view, understood: false };
      i = at + 1;
    } else if (word === "update" && next?.startsWith("@") && t[i + 2] === "{") {
      const key = braced(t, i + 2);
      if (!key || !ADDRESS_FAMILIES.has(key.inner[0] ?? "") || key.inner[1] !== "saddr") return { ...view, understood: false };
      const timeoutAt = key.inner.indexOf("timeout");
      const timeout = timeoutAt < 0 ? null : parseNftDuration(key.inner[timeoutAt + 1] ?? "");
      view.update = { set: next.slice(1), timeoutSeconds: timeout };
      view.setRefs.push(next.slice(1));
      i = key.next;
    } else if (word === "counter") {
      i += 1;
    } else if (word === "comment" && next !== undefined) {
      i += 2;
    } else {
      view.understood = false;
      i += 1;
    }
  }
  return view;
}
