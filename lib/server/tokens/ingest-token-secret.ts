/**
 * Ingest token secrets. A token is 32 random bytes, base64url, behind a `nwt_` prefix so that one pasted into a
 * log or a chat is recognisable. Only its SHA-256 is stored, and the hash is the lookup key: a stolen database
 * yields no usable token, and since the secret has 256 bits of entropy an unsalted fast hash is enough (there is
 * nothing to brute-force) and comparison timing reveals nothing useful.
 */
import { createHash, randomBytes } from "node:crypto";

const PREFIX = "nwt_";

/** A new token secret. */
export function generateIngestToken(): string {
  return PREFIX + randomBytes(32).toString("base64url");
}

/** Lower-case hex SHA-256 of a token, as `IngestToken.tokenHash` stores it. */
export function hashIngestToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
