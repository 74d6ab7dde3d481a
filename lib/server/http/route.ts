/**
 * The route wrapper of collector uploads: `defineIngestRoute({ schema, handler })` gives a Next route handler that
 * reads, authenticates, validates and authorizes, so a route is only "call one use case, answer".
 *
 * Order of the checks, each refusal a 4xx JSON `{ error, detail }` and nothing stored:
 * 1. `Authorization: Bearer …` present, else 401 (before anything is read);
 * 2. the database is usable (migrated), else 503 naming the command that fixes it;
 * 3. the token is known and not revoked, else 401;
 * 4. the body: JSON (415 other content types or encodings), within NATWATCH_MAX_BODY_BYTES on the wire and after
 *    gunzip (413), parseable (400);
 * 5. the schema (400 with `detail.issues: [{ field, message }]`);
 * 6. the token's cluster is the body's `cluster`, else 403.
 * Anything the handler throws is a 500 with a generic message; the cause goes to the server log, never the body.
 */
import { NextResponse } from "next/server";
import type { z } from "zod";
import { authenticateIngest, authorizeCluster, bearerToken, type IngestPrincipal } from "../auth/authenticate-ingest";
import { getDb, type Db } from "../db";
import { getEnv } from "../env";
import { MIGRATE_COMMAND } from "../migrate-check";
import { apiError, errorResponse, isApiError, type ApiError } from "./api-error";
import { readJsonBody } from "./read-json-body";
import { validationError } from "./validation";

/** What a handler answers: a status and a JSON body, or a refusal. */
export type RouteAnswer = { status: number; body: unknown } | ApiError;

/** What a handler receives: the parsed body, who sent it, and the database. */
export interface IngestRequest<T> {
  body: T;
  principal: IngestPrincipal;
  db: Db;
  request: Request;
}

/** A route whose body names the cluster it writes for. */
export interface IngestRouteDefinition<S extends z.ZodType<{ cluster: string }>> {
  schema: S;
  handler(input: IngestRequest<z.infer<S>>): Promise<RouteAnswer>;
}

/** The Next route handler of an ingest route (see the module comment). */
export function defineIngestRoute<S extends z.ZodType<{ cluster: string }>>(definition: IngestRouteDefinition<S>) {
  return async function handle(request: Request): Promise<NextResponse> {
    try {
      const authorization = request.headers.get("authorization");
      if (bearerToken(authorization) === null) return errorResponse(apiError(401, "missing bearer token", { header: "Authorization: Bearer <token>" }));
      const db = await openDatabase();
      if (isApiError(db)) return errorResponse(db);
      const authenticated = await authenticateIngest(db, authorization);
      if (!authenticated.ok) return errorResponse(authenticated.error);

      const read = await readJsonBody(request, getEnv().maxBodyBytes);
      if (!read.ok) return errorResponse(read.error);
      const parsed = definition.schema.safeParse(read.value);
      if (!parsed.success) return errorResponse(validationError(parsed.error));
      const forbidden = authorizeCluster(authenticated.principal, parsed.data.cluster);
      if (forbidden) return errorResponse(forbidden);

      const answer = await definition.handler({ body: parsed.data, principal: authenticated.principal, db, request });
      if (isApiError(answer) && !("body" in answer)) return errorResponse(answer);
      const { status, body } = answer as { status: number; body: unknown };
      return NextResponse.json(body, { status });
    } catch (error) {
      console.error(`natwatch: ${request.method} ${new URL(request.url).pathname} failed`, error);
      return errorResponse(apiError(500, "internal error: the request was not stored; see the server log"));
    }
  };
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
