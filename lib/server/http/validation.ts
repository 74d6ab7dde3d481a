/** Turns a zod failure into a 400 whose detail names each offending field by its path. */
import type { z } from "zod";
import { apiError, type ApiError } from "./api-error";

export interface FieldIssue {
  /** Dotted path with indexes: `manifest.3.digest`; `(root)` for the body itself. */
  field: string;
  message: string;
}

export function validationError(error: z.ZodError): ApiError {
  const issues: FieldIssue[] = error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join(".") : "(root)",
    message: issue.message,
  }));
  const first = issues[0];
  return apiError(400, first ? `invalid ${first.field}: ${first.message}` : "invalid body", { issues });
}
