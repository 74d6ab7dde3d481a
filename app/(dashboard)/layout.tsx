import Link from "next/link";
import { Suspense, type ReactNode } from "react";
import { NavLinks } from "@/components/controls/nav-links";
import { TimeRangePicker } from "@/components/controls/time-range-picker";

/** The frame every dashboard view shares: name, main navigation, and the time range the views read from the URL. */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <div className="mx-auto max-w-6xl p-6 sm:p-8">
      <header className="mb-6 flex flex-wrap items-center justify-between gap-4 border-b border-zinc-200 pb-4 dark:border-zinc-800">
        <div>
          <Link href="/" className="text-2xl font-semibold">natwatch</Link>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">How kube-proxy programmed every node&apos;s NAT table, and how it changed.</p>
        </div>
        {/* The controls read the query string, which is only known per request: render them behind Suspense. */}
        <Suspense fallback={null}>
          <div className="flex flex-col items-end gap-2">
            <NavLinks />
            <TimeRangePicker />
          </div>
        </Suspense>
      </header>
      <main>{children}</main>
    </div>
  );
}
