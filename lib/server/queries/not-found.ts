/**
 * "No such thing" as a value: queries that take names from a URL return this instead of throwing, so a route answers
 * 404 naming what was missing and a page calls `notFound()`.
 */

/** What a query could not find. */
export interface NotFound {
  notFound: "cluster" | "node" | "snapshot" | "service-port";
  /** The name or id as the caller gave it. */
  name: string;
  /** A sentence for people: `unknown node "w9" in cluster "kind"`. */
  message: string;
}

export function notFound(what: NotFound["notFound"], name: string, message: string): NotFound {
  return { notFound: what, name, message };
}

export function isNotFound(value: unknown): value is NotFound {
  return typeof value === "object" && value !== null && "notFound" in value && "message" in value;
}
