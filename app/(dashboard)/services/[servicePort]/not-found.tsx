/** A service port no node programs (in the chosen range), a malformed link, or an unknown cluster. */
import Link from "next/link";

export default function ServicePortNotFound() {
  return (
    <div role="alert" className="rounded border border-zinc-300 p-4 dark:border-zinc-700">
      <h1 className="text-lg font-semibold">No such service port</h1>
      <p className="mt-1 text-sm text-zinc-700 dark:text-zinc-300">
        No node of the cluster has rules for this service port at the chosen time, or the link does not name one
        (<code>/services/namespace~name:port~protocol</code>). It may have been deleted, or not created yet: try a wider time range.
      </p>
      <p className="mt-3 text-sm">
        <Link href="/services" className="text-blue-700 underline hover:no-underline dark:text-blue-300">
          All services
        </Link>
      </p>
    </div>
  );
}
