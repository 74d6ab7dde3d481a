/**
 * Which node's rules the service view shows. Every node is listed with whether it agrees with the majority, so a
 * node whose kube-proxy lags is visible even while another node is selected. Plain links: every choice is a URL.
 */
import Link from "next/link";
import type { ServicePortOnNode } from "@/lib/server/queries/list-service-ports";

export function NodeSelector({ nodes, selected, hrefOf }: { nodes: readonly ServicePortOnNode[]; selected: string; hrefOf: (node: string) => string }) {
  return (
    <nav aria-label="Node">
      <ul className="flex flex-wrap gap-2 text-sm">
        {nodes.map((n) => {
          const state = !n.present ? "lacks the port" : n.agrees ? "agrees" : "disagrees";
          return (
            <li key={n.node}>
              <Link
                href={hrefOf(n.node)}
                aria-current={n.node === selected ? "page" : undefined}
                className={`flex items-center gap-2 rounded border px-3 py-1.5 hover:bg-zinc-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 aria-[current=page]:border-zinc-900 aria-[current=page]:bg-zinc-900 aria-[current=page]:text-white dark:hover:bg-zinc-800 dark:aria-[current=page]:border-zinc-100 dark:aria-[current=page]:bg-zinc-100 dark:aria-[current=page]:text-zinc-900 ${
                  n.agrees && n.present ? "border-zinc-300 dark:border-zinc-700" : "border-red-600 dark:border-red-400"
                }`}
              >
                <span>{n.node}</span>
                <span className={`text-xs ${n.agrees && n.present ? "opacity-75" : n.node === selected ? "font-semibold" : "font-semibold text-red-700 dark:text-red-400"}`}>
                  {state}
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
