import Link from "next/link";
import { LINK_CLASS } from "@/components/node/styles";

/** An unknown node, or a snapshot id that is not this node's: say so and lead back. */
export default function NodeNotFound() {
  return (
    <div className="rounded border border-dashed border-zinc-300 p-6 dark:border-zinc-700">
      <h1 className="mb-2 text-lg font-semibold">No such node or snapshot</h1>
      <p className="text-zinc-600 dark:text-zinc-400">
        This cluster has no node by that name, or the snapshot belongs to another node. The{" "}
        <Link href="/" className={LINK_CLASS}>overview</Link> lists the nodes that report.
      </p>
    </div>
  );
}
