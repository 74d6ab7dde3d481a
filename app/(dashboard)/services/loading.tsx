/** While the nodes' models are read: the list's shape, announced to screen readers. */
export default function LoadingServices() {
  return (
    <div role="status" aria-live="polite" aria-busy="true">
      <h1 className="mb-1 text-xl font-semibold">Services</h1>
      <p className="mb-4 text-sm text-zinc-700 dark:text-zinc-300">Reading every node&apos;s rules…</p>
      <div className="space-y-2" aria-hidden="true">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={i} className="h-7 animate-pulse rounded bg-zinc-100 motion-reduce:animate-none dark:bg-zinc-900" />
        ))}
      </div>
    </div>
  );
}
