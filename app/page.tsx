export default function HomePage() {
  return (
    <main className="mx-auto max-w-4xl p-8">
      <h1 className="text-2xl font-semibold">natwatch</h1>
      <p className="mt-2 text-zinc-600 dark:text-zinc-400">
        How kube-proxy programmed every node&apos;s NAT table, and how it changed over time.
      </p>
    </main>
  );
}
