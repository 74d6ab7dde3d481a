"use client";
/** The service port's view could not be read; the frame stays, a retry re-renders it. */
import { ViewError } from "@/components/service/view-error";

export default function ServicePortError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ViewError title="This service port could not be read" error={error} reset={reset} />;
}
