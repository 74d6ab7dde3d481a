/**
 * Whether a chain's name is kube-proxy's hash of what it serves (lib/kube-proxy/verify-chains.ts). A KUBE-SVC or
 * KUBE-SEP name that does not match was written by hand or by something else than kube-proxy: worth a look.
 */
export function VerificationMark({ verified }: { verified: boolean }) {
  return verified ? (
    <span className="text-emerald-700 dark:text-emerald-400" title="name is kube-proxy's hash of the service port (verified)">
      <span aria-hidden="true">✓</span>
      <span className="sr-only"> hash verified</span>
    </span>
  ) : (
    <span className="font-semibold text-red-700 dark:text-red-400" title="name is not kube-proxy's hash of what the chain serves">
      <span aria-hidden="true">✗</span>
      <span className="sr-only"> hash mismatch</span>
    </span>
  );
}

/** A chain name in the flow, with its verification mark when kube-proxy derives the name from a hash. */
export function ChainName({ name, verified }: { name: string; verified?: boolean }) {
  return (
    <span className="inline-flex items-center gap-1 font-mono text-xs">
      {name}
      {verified !== undefined && <VerificationMark verified={verified} />}
    </span>
  );
}
