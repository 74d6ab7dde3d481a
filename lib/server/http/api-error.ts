/**
 * Errors as values at the HTTP boundary: every refusal is a 4xx with JSON `{ "error": "…", "detail": … }`,
 * where `error` is a sentence for people and `detail` says where (the field path, the rule line).
 */
import { NextResponse } from "next/server";

export interface ApiError {
  status: number;
  error: string;
  detail?: unknown;
}

export function apiError(status: number, error: string, detail?: unknown): ApiError {
  return detail === undefined ? { status, error } : { status, error, detail };
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "status" in value && "error" in value && typeof (value as ApiError).status === "number";
}

export function errorResponse(e: ApiError): NextResponse {
  const headers: Record<string, string> = {};
  if (e.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="natwatch"';
  return NextResponse.json(e.detail === undefined ? { error: e.error } : { error: e.error, detail: e.detail }, {
    status: e.status,
    headers,
  });
}
