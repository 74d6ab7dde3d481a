/**
 * The route wrapper of the read API: `defineReadRoute({ params, query, handler })` gives a Next GET handler that
 * validates, calls one query and answers, so a route file is only "which query, with which arguments".
 *
 * - Path and query parameters are parsed with zod; a bad one is a 400 whose `detail.issues` name each offending
 *   parameter (`[{ field: "from", message: "…" }]`). Unknown query parameters are refused too: a typo such as
 *   `?form=1h` would otherwise silently return the unfiltered answer.
 * - Relative times (`from=1h`) resolve against one `now` per request.
 * - A query's NotFound (unknown cluster, node, snapshot, service port) is a 404 naming it.
 * - An unusable database is a 503 naming the command that fixes it; anything thrown is a 500 with a generic message
 *   (the cause goes to the server log, never the body).
 * Reads need no ingest token.
 */
import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb, type Db } from "../db";
import { MIGRATE_COMMAND } from "../migrate-check";
import { isNotFound } from "../queries/not-found";
import { isServicePortName, parseServicePortSegment } from "../queries/service-port-segment";
import { parseDuration, parseTimeParam } from "../queries/time-param";
import { apiError, errorResponse, isApiError, type ApiError } from "./api-error";
import { validationError } from "./validation";

/** A plain-text answer (the iptables-save form of a ruleset). */
export interface TextAnswer {
  textBody: string;
  contentType: string;
}

/** What a handler returns: JSON-able data, a text answer, a query's NotFound, or a refusal. */
export type ReadAnswer = unknown;

/** What a handler receives. */
export interface ReadRequest<P, Q> {
  params: P;
  query: Q;
  db: Db;
  /** The request's clock: relative times in `query` were resolved against it. */
  now: Date;
  request: Request;
}

/** A GET route of the read API. */
export interface ReadRouteDefinition<PS extends z.ZodType, QS extends z.ZodType> {
  /** Path parameters (Next's dynamic segments, already percent-decoded). */
  params: PS;
  /** Query parameters, one value per name; built per request so time parameters share its `now`. */
  query: (now: Date) => QS;
  handler(input: ReadRequest<z.output<PS>, z.output<QS>>): Promise<ReadAnswer>;
}

/** The Next GET handler of a read route (see the module comment). */
export function defineReadRoute<PS extends z.ZodType, QS extends z.ZodType>(definition: ReadRouteDefinition<PS, QS>) {
  return async function GET(request: Request, context: { params: Promise<z.input<PS>> }): Promise<Response> {
    try {
      const now = new Date();
      // Next hands a route without dynamic segments no params at all.
      const params = definition.params.safeParse((await context?.params) ?? {});
      if (!params.success) return errorResponse(validationError(params.error));
      const url = new URL(request.url);
      const query = definition.query(now).safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) return errorResponse(validationError(query.error));
      const db = await openDatabase();
      if (isApiError(db)) return errorResponse(db);
      return answer(await definition.handler({ params: params.data, query: query.data, db, now, request }));
    } catch (error) {
      console.error(`natwatch: GET ${new URL(request.url).pathname} failed`, error);
      return errorResponse(apiError(500, "internal error; see the server log"));
    }
  };
}

/** A text answer for `defineReadRoute` handlers. */
export function textAnswer(textBody: string, contentType = "text/plain; charset=utf-8"): TextAnswer {
  return { textBody, contentType };
}

function answer(value: ReadAnswer): Response {
  if (isNotFound(value)) return errorResponse(apiError(404, value.message, { [value.notFound]: value.name }));
  if (isApiError(value)) return errorResponse(value);
  const headers = { "Cache-Control": "no-store" };
  if (typeof value === "object" && value !== null && "textBody" in value && "contentType" in value) {
    const text = value as TextAnswer;
    return new Response(text.textBody, { status: 200, headers: { ...headers, "Content-Type": text.contentType } });
  }
  return NextResponse.json(value, { status: 200, headers });
}

/** The process's database, or a 503 when it cannot be used (unmigrated, unreachable). */
async function openDatabase(): Promise<Db | ApiError> {
  try {
    return await getDb();
  } catch (error) {
    const message = (error as Error).message;
    console.error("natwatch: database unavailable:", message);
    if (message.includes(MIGRATE_COMMAND)) return apiError(503, `database not ready: ${message}`, { command: MIGRATE_COMMAND });
    return apiError(503, "database unavailable; see the server log");
  }
}

/** A 400 naming one parameter, for checks that involve several (`from` after `to`). */
export function paramError(field: string, message: string): ApiError {
  return apiError(400, `invalid ${field}: ${message}`, { issues: [{ field, message }] });
}

// ---- Parameter schemas shared by the read routes ----

/** A cluster or node name as it appears in a path (DNS-1123; unknown names are 404s, not 400s). */
export const nameSegment = z.string().min(1).max(253);

/** An instant: ISO-8601 with offset, `now`, or a duration back from now (`15m`, `1h`, `24h`, `7d`). */
export function timeParam(now: Date) {
  return z.string().transform((text, ctx) => {
    const at = parseTimeParam(text, now);
    if (at) return at;
    ctx.addIssue({ code: "custom", message: "must be an ISO-8601 time with offset (2026-01-05T10:00:00Z), now, or a duration such as 15m, 1h, 7d" });
    return z.NEVER;
  });
}

/** A positive whole number within [1, max], with a default. */
export function countParam(fallback: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);
}

/** A non-negative whole number (offsets). */
export const offsetParam = z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().min(0).max(10_000_000)).default(0);

/** A bucket width as a duration (`5m`) or whole seconds (`300`), at least 1 s. */
export const bucketParam = z.string().transform((text, ctx) => {
  const seconds = /^\d+$/.test(text) ? Number(text) : (parseDuration(text) ?? 0) / 1000;
  if (Number.isInteger(seconds) && seconds >= 1 && seconds <= 366 * 86_400) return seconds;
  ctx.addIssue({ code: "custom", message: "must be a duration such as 1m, 5m, 1h, or whole seconds" });
  return z.NEVER;
});

/** Address family of the rules to read. */
export const familyParam = z.enum(["ipv4", "ipv6"]).default("ipv4");

/** A service port in a path segment: `namespace~name:port` (see lib/server/queries/service-port-segment.ts). */
export const servicePortSegmentParam = z.string().transform((segment, ctx) => {
  const name = parseServicePortSegment(segment);
  if (name) return name;
  ctx.addIssue({ code: "custom", message: "must be a service port written namespace~name:port (its / as ~), e.g. default~svc-clusterip:svc-webport" });
  return z.NEVER;
});

/** A service port or service in a query parameter, written as kube-proxy does: `namespace/name:port` or `namespace/name`. */
export const servicePortParam = z.string().transform((text, ctx) => {
  const name = text.includes("/") ? text : (parseServicePortSegment(text) ?? text);
  if (isServicePortName(name)) return name;
  ctx.addIssue({ code: "custom", message: "must be a service port namespace/name:port, or a service namespace/name" });
  return z.NEVER;
});

/** A kind of service change (lib/diff ServiceChangeKind). */
export const changeKindParam = z.string().regex(/^[a-z-]{1,40}$/, "must be a change kind such as endpoint-added");

/** The `nextCursor` of a previous page of changes. */
export const cursorParam = z.string().regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z_\d+$/, "must be the nextCursor of a previous page");

/** A range [from, to] is refused when it runs backwards. */
export function checkRange(from: Date | undefined, to: Date | undefined): ApiError | null {
  if (from && to && from > to) return paramError("from", `must not be after to (${to.toISOString()})`);
  return null;
}
