"use client";
import { ErrorState } from "@/components/node/view-states";

export default function ViewError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorState what="the overview" error={error} reset={reset} />;
}
