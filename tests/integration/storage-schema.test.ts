import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as Postgres from "@/prisma/generated/postgres/client";
import * as Sqlite from "@/prisma/generated/sqlite/client";
import { listMigrations, schemaFile } from "@/lib/server/migrate-check";
import { repoRoot } from "@/scripts/db-cli";
import { createMigration, diffProvider } from "@/scripts/db-migrate-new";
import { MODELS_MARKER, renderProviderSchema, syncProviderSchemas } from "@/scripts/db-schema";
import { providers } from "./support/databases";

describe("one model file, two provider schemas", () => {
  it("each provider's schema.prisma holds exactly prisma/models.prisma below its header", async () => {
    const states = await syncProviderSchemas(repoRoot, false);
    expect(states.map((state) => [state.provider, state.inSync])).toEqual([
      ["sqlite", true],
      ["postgresql", true],
    ]);
  });

  it("notices a copy that no longer matches the models (the check can fail)", async () => {
    const models = await readFile(path.join(repoRoot, "prisma", "models.prisma"), "utf8");
    const current = await readFile(schemaFile("sqlite", repoRoot), "utf8");
    const edited = models.replace("model Cluster {", "model Cluster {\n  note String?");
    expect(renderProviderSchema(current, models)).toBe(current);
    expect(renderProviderSchema(current, edited)).not.toBe(current);
    // The header survives a refresh: the generator and datasource stay the provider's own.
    expect(renderProviderSchema(current, edited).split(MODELS_MARKER)[0]).toBe(current.split(MODELS_MARKER)[0]);
    expect(current).toContain('provider = "sqlite"');
  });

  it("both providers have the same migration names, so 'is it migrated' has one answer", async () => {
    const [sqlite, postgres] = await Promise.all(providers.map((provider) => listMigrations(provider, repoRoot)));
    expect(sqlite?.length).toBeGreaterThan(0);
    expect(postgres).toEqual(sqlite);
  });

  it("the two generated clients describe the same models and fields", () => {
    const fieldsOf = (namespace: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(namespace).filter(([name]) => name.endsWith("ScalarFieldEnum")));
    expect(Postgres.Prisma.ModelName).toEqual(Sqlite.Prisma.ModelName);
    expect(fieldsOf(Postgres.Prisma)).toEqual(fieldsOf(Sqlite.Prisma));
    expect(Object.keys(fieldsOf(Sqlite.Prisma))).toHaveLength(Object.keys(Sqlite.Prisma.ModelName).length);

    // Checked by the type checker: the row types the app reads are identical whichever client returned them.
    expectTypeOf<Postgres.Snapshot>().toEqualTypeOf<Sqlite.Snapshot>();
    expectTypeOf<Postgres.Capture>().toEqualTypeOf<Sqlite.Capture>();
    expectTypeOf<Postgres.ChainBody>().toEqualTypeOf<Sqlite.ChainBody>();
    expectTypeOf<Postgres.Ruleset>().toEqualTypeOf<Sqlite.Ruleset>();
    expectTypeOf<Postgres.RuleCounterSample>().toEqualTypeOf<Sqlite.RuleCounterSample>();
    expectTypeOf<Postgres.ConntrackSample>().toEqualTypeOf<Sqlite.ConntrackSample>();
    expectTypeOf<Postgres.ServiceChange>().toEqualTypeOf<Sqlite.ServiceChange>();
    expectTypeOf<Postgres.KubeEvent>().toEqualTypeOf<Sqlite.KubeEvent>();
  });
});

describe.each(providers)("checked-in migrations on %s", (provider) => {
  it("produce exactly the schema of the models (no change awaits a migration)", async () => {
    // Replays the migrations in a scratch database and diffs the result against the schema.
    expect(await diffProvider(provider, repoRoot)).toBe("");
  }, 240_000);
});

describe("db:migrate:new", () => {
  it("turns a change of models.prisma into one migration per provider, and nothing when there is no change", async () => {
    // A scratch checkout: the files the CLI and the scripts read, with the real node_modules linked in.
    const root = await mkdtemp(path.join(os.tmpdir(), "natwatch-checkout-"));
    try {
      for (const file of ["prisma.config.ts", "lib/server/env.ts", "lib/server/migrate-check.ts", "prisma/cli-adapter.ts"]) {
        await cp(path.join(repoRoot, file), path.join(root, file), { recursive: true });
      }
      for (const file of ["prisma/models.prisma", "prisma/sqlite", "prisma/postgres"]) {
        await cp(path.join(repoRoot, file), path.join(root, file), { recursive: true });
      }
      await writeFile(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
      await symlink(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
      const modelsFile = path.join(root, "prisma", "models.prisma");
      const models = await readFile(modelsFile, "utf8");
      await writeFile(modelsFile, models.replace("  lastMode    String?\n", "  lastMode    String?\n  kernel      String?\n"));

      const written = await createMigration("Node kernel", root, new Date("2099-01-02T03:04:05Z"));
      expect(written).toEqual([
        "prisma/sqlite/migrations/20990102030405_node_kernel",
        "prisma/postgres/migrations/20990102030405_node_kernel",
      ]);
      for (const folder of written) {
        const sql = await readFile(path.join(root, folder, "migration.sql"), "utf8");
        expect(sql).toMatch(/ALTER TABLE "Node" ADD COLUMN\s+"kernel" TEXT/);
      }
      // The schema copies were refreshed as part of it.
      expect(await readFile(schemaFile("postgresql", root), "utf8")).toContain("kernel      String?");

      expect(await createMigration("again", root, new Date("2099-01-02T03:05:00Z"))).toEqual([]);
      expect(await readdir(path.join(root, "prisma", "sqlite", "migrations"))).not.toContain("20990102030500_again");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 480_000);
});
