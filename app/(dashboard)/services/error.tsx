"use client";
/**
 * The services list could not be read: say so, keep the frame, offer a retry. The cause (usually the database) is
 * in the server log; `digest` ties this occurrence to it.
 */
import { ViewError } from "@/components/service/view-error";

export default function ServicesError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ViewError title="The service ports could not be read" error={error} reset={reset} />;
}
