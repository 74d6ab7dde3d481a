/** The few SQL fragments that differ between SQLite and PostgreSQL. */
import { Prisma } from "../../../prisma/generated/sqlite/client";
import type { Db } from "../db";

/** Which database family a client talks to. */
export function providerOf(db: Db): "sqlite" | "postgresql" {
  // Prisma clients carry their provider; the Db type is the SQLite client's, so the property is read untyped.
  return (db as unknown as { _activeProvider?: string })._activeProvider === "postgresql" ? "postgresql" : "sqlite";
}

/**
 * Whole epoch seconds of a DateTime column, as an integer expression. SQLite keeps Prisma DateTimes as ISO-8601 text
 * (`2026-01-05T10:00:00.000Z`, which strftime reads), PostgreSQL as timestamp(3) in UTC.
 */
export function epochSeconds(db: Db, column: string): Prisma.Sql {
  if (!/^[A-Za-z]+$/.test(column)) throw new Error(`not a column name: ${column}`);
  return providerOf(db) === "postgresql"
    ? Prisma.raw(`CAST(FLOOR(EXTRACT(EPOCH FROM "${column}")) AS BIGINT)`)
    : Prisma.raw(`CAST(strftime('%s', "${column}") AS INTEGER)`);
}

/** `(epoch / width) * width`: the start of the bucket a row falls in, width a whole number of seconds. */
export function bucketStart(db: Db, column: string, widthSeconds: number): Prisma.Sql {
  // A literal, not a parameter: GROUP BY must see the very expression SELECT does, and both databases then do.
  const width = Prisma.raw(String(Math.max(1, Math.trunc(widthSeconds))));
  return Prisma.sql`(${epochSeconds(db, column)} / ${width}) * ${width}`;
}

/** Bucket widths offered for series, smallest first. */
const BUCKET_CHOICES = [10, 30, 60, 300, 900, 3_600, 21_600, 86_400];

/** The smallest standard bucket width (at least `minimum`) giving at most `maxBuckets` over [from, to]. */
export function chooseBucketSeconds(from: Date, to: Date, maxBuckets: number, minimum = 60): number {
  const seconds = Math.max(1, (to.getTime() - from.getTime()) / 1000);
  const standard = BUCKET_CHOICES.find((b) => b >= minimum && seconds / b <= maxBuckets);
  return standard ?? Math.ceil(seconds / maxBuckets / 86_400) * 86_400;
}
