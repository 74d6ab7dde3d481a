import { describe, expect, it } from "vitest";
import { createDb } from "@/lib/server/db";
import { databaseProviderOf, describeDatabaseUrl, parseEnv } from "@/lib/server/env";
import { poolConfigFromUrl } from "@/prisma/cli-adapter";

describe("database configuration", () => {
  it("defaults to an SQLite file under the working directory, and the documented limits", () => {
    expect(parseEnv({}, "/srv/natwatch")).toEqual({
      databaseUrl: "file:/srv/natwatch/data/natwatch.db",
      databaseProvider: "sqlite",
      retentionDays: 30,
      maxBodyBytes: 32 * 1024 * 1024,
    });
    // An exported but empty variable means unset, as it does to a shell user.
    expect(parseEnv({ DATABASE_URL: "", NATWATCH_RETENTION_DAYS: "" }, "/srv/natwatch").retentionDays).toBe(30);
  });

  it("resolves relative SQLite paths against the working directory and keeps PostgreSQL URLs as given", () => {
    expect(parseEnv({ DATABASE_URL: "file:state/nw.db" }, "/srv/natwatch").databaseUrl).toBe("file:/srv/natwatch/state/nw.db");
    expect(parseEnv({ DATABASE_URL: "file:/var/lib/nw.db" }, "/srv").databaseUrl).toBe("file:/var/lib/nw.db");
    const postgres = parseEnv({ DATABASE_URL: "postgres://nw:secret@db:5432/natwatch" }, "/srv");
    expect(postgres).toMatchObject({ databaseUrl: "postgres://nw:secret@db:5432/natwatch", databaseProvider: "postgresql" });
  });

  it("refuses a bad configuration, naming every variable at fault", () => {
    const attempt = () =>
      parseEnv({ DATABASE_URL: "mysql://db/natwatch", NATWATCH_RETENTION_DAYS: "a week", NATWATCH_MAX_BODY_BYTES: "0" }, "/");
    expect(attempt).toThrow(/DATABASE_URL/);
    expect(attempt).toThrow(/NATWATCH_RETENTION_DAYS/);
    expect(attempt).toThrow(/NATWATCH_MAX_BODY_BYTES/);
    expect(() => parseEnv({ DATABASE_URL: "file:./nw.db?mode=ro" }, "/")).toThrow(/takes no parameters/);
  });

  it("never shows a password in messages", () => {
    expect(describeDatabaseUrl("postgresql://nw:hunter2@db:5432/natwatch")).toBe("postgresql://nw:***@db:5432/natwatch");
    expect(describeDatabaseUrl("file:/srv/natwatch/data/natwatch.db")).toBe("/srv/natwatch/data/natwatch.db");
    expect(() => createDb("mysql://nw:hunter2@db/natwatch")).toThrow("mysql://nw:***@db/natwatch");
  });

  it("tells providers apart by scheme", () => {
    expect(["file:x.db", "postgresql://h/d", "postgres://h/d", "mysql://h/d"].map(databaseProviderOf)).toEqual([
      "sqlite",
      "postgresql",
      "postgresql",
      null,
    ]);
  });

  it("hands the migration CLI a pool config, never a connection string (its shadow database would be the real one)", () => {
    const config = poolConfigFromUrl("postgresql://nw:p%40ss@db.internal:6543/natwatch?sslmode=require");
    expect(config).toMatchObject({ host: "db.internal", port: 6543, user: "nw", password: "p@ss", database: "natwatch" });
    expect(config).not.toHaveProperty("connectionString");
    expect(config.allowExitOnIdle).toBe(true);
    expect(config.ssl).toEqual({ rejectUnauthorized: false });
  });
});
