/** While the port's rules, traffic and changes are read: the view's sections, announced to screen readers. */
export default function LoadingServicePort() {
  const block = "animate-pulse rounded bg-zinc-100 motion-reduce:animate-none dark:bg-zinc-900";
  return (
    <div role="status" aria-live="polite" aria-busy="true" className="space-y-6">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">Reading the service port&apos;s rules on every node…</p>
      <div aria-hidden="true" className="space-y-6">
        <div className={`h-8 w-2/3 ${block}`} />
        <div className={`h-10 ${block}`} />
        <div className={`h-40 ${block}`} />
        <div className={`h-32 ${block}`} />
        <div className={`h-64 ${block}`} />
      </div>
    </div>
  );
}
