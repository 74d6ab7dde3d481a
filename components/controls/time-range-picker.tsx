"use client";
/**
 * Time range and auto-refresh controls. They only rewrite the query string; the server components read it (see
 * lib/dashboard/view-params.ts), so every state of the picker is a URL.
 */
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { RANGE_PRESETS, REFRESH_PERIODS, DEFAULT_RANGE } from "@/lib/dashboard/view-params";

export function TimeRangePicker() {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const current = searchParams.get("range") ?? DEFAULT_RANGE;
  const [customOpen, setCustomOpen] = useState(current === "custom");
  const fromId = useId();
  const toId = useId();

  function go(update: Record<string, string | null>) {
    const next = new URLSearchParams(searchParams.toString());
    for (const [name, value] of Object.entries(update)) {
      if (value === null) next.delete(name);
      else next.set(name, value);
    }
    const query = next.toString();
    router.push(query ? `${pathname}?${query}` : pathname);
  }

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <div role="group" aria-label="Time range" className="flex overflow-hidden rounded border border-zinc-300 dark:border-zinc-700">
        {RANGE_PRESETS.map((preset) => (
          <button
            key={preset}
            type="button"
            aria-pressed={current === preset}
            onClick={() => {
              setCustomOpen(false);
              go({ range: preset === DEFAULT_RANGE ? null : preset, from: null, to: null });
            }}
            className="px-2.5 py-1 hover:bg-zinc-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 aria-pressed:bg-zinc-900 aria-pressed:text-white dark:hover:bg-zinc-800 dark:aria-pressed:bg-zinc-100 dark:aria-pressed:text-zinc-900"
          >
            {preset}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={current === "custom"}
          aria-expanded={customOpen}
          onClick={() => setCustomOpen((open) => !open)}
          className="px-2.5 py-1 hover:bg-zinc-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 aria-pressed:bg-zinc-900 aria-pressed:text-white dark:hover:bg-zinc-800 dark:aria-pressed:bg-zinc-100 dark:aria-pressed:text-zinc-900"
        >
          custom
        </button>
      </div>
      {customOpen && (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            const from = localToIso(String(form.get("from") ?? ""));
            const to = localToIso(String(form.get("to") ?? ""));
            if (from && to) go({ range: "custom", from, to });
          }}
        >
          <label htmlFor={fromId}>from</label>
          <input id={fromId} name="from" type="datetime-local" required className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 dark:border-zinc-700" />
          <label htmlFor={toId}>to</label>
          <input id={toId} name="to" type="datetime-local" required className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 dark:border-zinc-700" />
          <button type="submit" className="rounded bg-zinc-900 px-2.5 py-1 text-white dark:bg-zinc-100 dark:text-zinc-900">apply</button>
        </form>
      )}
      <AutoRefresh period={Number(searchParams.get("refresh") ?? 0)} onChange={(seconds) => go({ refresh: seconds ? String(seconds) : null })} />
    </div>
  );
}

/** The browser's local `datetime-local` value as an ISO instant (the read API refuses zone-less times). */
function localToIso(value: string): string | null {
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function AutoRefresh({ period, onChange }: { period: number; onChange: (seconds: number) => void }) {
  const router = useRouter();
  const id = useId();
  useEffect(() => {
    if (!period) return;
    // router.refresh re-renders the server components with fresh data and keeps client state (open panels, scroll).
    const timer = setInterval(() => router.refresh(), period * 1000);
    return () => clearInterval(timer);
  }, [period, router]);
  return (
    <span className="flex items-center gap-1">
      <label htmlFor={id}>auto-refresh</label>
      <select
        id={id}
        value={period}
        onChange={(event) => onChange(Number(event.target.value))}
        className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 dark:border-zinc-700"
      >
        {REFRESH_PERIODS.map((seconds) => (
          <option key={seconds} value={seconds}>{seconds ? `${seconds} s` : "off"}</option>
        ))}
      </select>
    </span>
  );
}
