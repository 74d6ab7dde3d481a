/**
 * Pod addresses per node, handed out like the host-local IPAM plugin kindnet uses: the next free address after the
 * last one given, wrapping around, so a recreated pod gets a new address (the seed's webpod2 restart) instead of its
 * old one back. `.1` is the node's gateway.
 */
export interface PodAddresses {
  /** A free address of `prefix` (`10.10.N`), or exactly `wanted` when it is free. */
  allocate(prefix: string, wanted?: string): string;
  release(ip: string): void;
}

export function createPodAddresses(): PodAddresses {
  const used = new Set<string>();
  const last = new Map<string, number>();
  return {
    allocate(prefix, wanted) {
      if (wanted !== undefined) {
        if (!wanted.startsWith(`${prefix}.`) || used.has(wanted)) throw new Error(`pod address ${wanted} is taken or not in ${prefix}.0/24`);
        used.add(wanted);
        last.set(prefix, Number(wanted.split(".")[3]));
        return wanted;
      }
      const start = last.get(prefix) ?? 1;
      for (let step = 1; step <= 253; step++) {
        const host = ((start - 2 + step) % 253) + 2;
        const ip = `${prefix}.${host}`;
        if (used.has(ip)) continue;
        used.add(ip);
        last.set(prefix, host);
        return ip;
      }
      throw new Error(`no free pod address in ${prefix}.0/24`);
    },
    release(ip) {
      used.delete(ip);
    },
  };
}
