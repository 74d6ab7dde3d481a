"use client";
/**
 * The dashboard's main navigation. A client component because layouts do not see the query string, and the links
 * must carry the user's cluster and time range from view to view.
 */
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";

const SECTIONS = [
  { href: "/", label: "Overview" },
  { href: "/services", label: "Services" },
  { href: "/compare", label: "Compare" },
] as const;

const CONTEXT = ["cluster", "range", "from", "to", "refresh"] as const;

export function NavLinks() {
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const context = new URLSearchParams();
  for (const name of CONTEXT) {
    const value = searchParams.get(name);
    if (value) context.set(name, value);
  }
  const query = context.toString();
  return (
    <nav aria-label="Main">
      <ul className="flex gap-1 text-sm">
        {SECTIONS.map((section) => {
          const current = section.href === "/" ? pathname === "/" : pathname.startsWith(section.href);
          return (
            <li key={section.href}>
              <Link
                href={query ? `${section.href}?${query}` : section.href}
                aria-current={current ? "page" : undefined}
                className="rounded px-3 py-1.5 text-zinc-700 hover:bg-zinc-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 aria-[current=page]:bg-zinc-900 aria-[current=page]:text-white dark:text-zinc-300 dark:hover:bg-zinc-800 dark:aria-[current=page]:bg-zinc-100 dark:aria-[current=page]:text-zinc-900"
              >
                {section.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
