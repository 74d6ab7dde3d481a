"use client";
/**
 * The loading and error states of the dashboard's views. Loading says what is being read (a screen reader hears it
 * through role=status); an error says what failed in words, offers a retry, and never shows a stack.
 */
import { useEffect } from "react";

export function LoadingState({ what }: { what: string }) {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading {what}…</p>
      <div aria-hidden className="space-y-2">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="h-6 animate-pulse rounded bg-zinc-100 motion-reduce:animate-none dark:bg-zinc-800" style={{ width: `${90 - i * 12}%` }} />
        ))}
      </div>
    </div>
  );
}

export function ErrorState({ what, error, reset }: { what: string; error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  // A database that is not migrated or not reachable is the one failure a person can fix from here.
  const database = /database|migrat|SQLITE|ECONNREFUSED/i.test(error.message);
  return (
    <div role="alert" className="rounded border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
      <h1 className="mb-1 font-semibold">Could not show {what}</h1>
      <p className="text-sm">
        {database ? "The database is not ready: run npm run db:migrate, or check DATABASE_URL." : "Something failed while reading; the cause is in the server log."}
        {error.digest ? ` (reference ${error.digest})` : ""}
      </p>
      <button
        type="button"
        onClick={reset}
        className="mt-3 rounded bg-red-800 px-3 py-1.5 text-sm text-white hover:bg-red-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 dark:bg-red-200 dark:text-red-950"
      >
        Try again
      </button>
    </div>
  );
}
