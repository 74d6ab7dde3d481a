"use client";
/** A view's error state: what failed, what to try, and a retry that re-renders the view's server components. */
import Link from "next/link";

export function ViewError({ title, error, reset }: { title: string; error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="rounded border border-red-300 bg-red-50 p-4 text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
      <h1 className="text-lg font-semibold">{title}</h1>
      <p className="mt-1 text-sm">
        The server could not answer. If the database was just created, run <code>npm run db:migrate</code>; otherwise the server log has the cause
        {error.digest ? (
          <>
            {" "}
            (reference <code>{error.digest}</code>)
          </>
        ) : null}
        .
      </p>
      <div className="mt-3 flex gap-3 text-sm">
        <button
          type="button"
          onClick={reset}
          className="rounded bg-red-800 px-3 py-1.5 text-white focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 dark:bg-red-200 dark:text-red-950"
        >
          Try again
        </button>
        <Link href="/" className="py-1.5 underline">
          Back to the overview
        </Link>
      </div>
    </div>
  );
}
