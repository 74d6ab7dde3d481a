import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, openMigratedDb, type Db } from "@/lib/server/db";
import { listMigrations, MIGRATE_COMMAND } from "@/lib/server/migrate-check";
import { repoRoot } from "@/scripts/db-cli";
import { migrateDatabase } from "@/scripts/db-migrate";
import { resetDatabase } from "@/scripts/db-reset";
import { createEmptyDatabase, createTestDatabase, providers, type ScratchDatabase } from "./support/databases";

const execFileAsync = promisify(execFile);

/** Every table the models define, as the app's code reaches them. */
function countEveryModel(db: Db): Promise<number[]> {
  return Promise.all([
    db.cluster.count(),
    db.ingestToken.count(),
    db.node.count(),
    db.chainBody.count(),
    db.ruleset.count(),
    db.rulesetChain.count(),
    db.rulesetModel.count(),
    db.snapshot.count(),
    db.capture.count(),
    db.ruleCounterSample.count(),
    db.endpointTraffic.count(),
    db.conntrackSample.count(),
    db.flowAggregate.count(),
    db.serviceChange.count(),
    db.kubeEvent.count(),
    db.kubeEventIp.count(),
  ]);
}

// Each Prisma CLI run takes 2–4 s on an idle machine and much longer on a loaded one.
const CLI_TEST_TIMEOUT = 240_000;

describe.each(providers)("migrations on %s", (provider) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  async function emptyDatabase(): Promise<ScratchDatabase> {
    const scratch = await createEmptyDatabase(provider);
    cleanups.push(scratch.drop);
    return scratch;
  }

  async function open(url: string): Promise<Db> {
    const db = await openMigratedDb(url, repoRoot);
    cleanups.push(() => db.$disconnect());
    return db;
  }

  it("applies every checked-in migration to an empty database, which the app then accepts", async () => {
    const scratch = await emptyDatabase();
    await migrateDatabase(scratch.url);
    const db = await open(scratch.url);
    expect(await countEveryModel(db)).toEqual(new Array(16).fill(0));
    const applied = await db.$queryRawUnsafe<{ name: string }[]>(
      "SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
    );
    expect(applied.map((row) => row.name)).toEqual(await listMigrations(provider, repoRoot));
  }, CLI_TEST_TIMEOUT);

  it("refuses an unmigrated database with a message naming the command that fixes it", async () => {
    const scratch = await emptyDatabase();
    const [first] = await listMigrations(provider, repoRoot);
    const refusal = openMigratedDb(scratch.url, repoRoot);
    await expect(refusal).rejects.toThrow(MIGRATE_COMMAND);
    await expect(refusal).rejects.toThrow(`not migrated: 1 migration(s) missing (${first})`);
  });

  it("getDb() (the app's entry) refuses until db:migrate has run, then opens without a restart", async () => {
    const scratch = await emptyDatabase();
    // A separate process, so that DATABASE_URL reaches the app through lib/server/env.ts as in production.
    const program = `
      const { getDb } = await import("./lib/server/db.ts");
      const { migrateDatabase } = await import("./scripts/db-migrate.ts");
      const outcome = (promise) => promise.then(() => "opened", (error) => error.message);
      const first = await outcome(getDb());
      await migrateDatabase(process.env.DATABASE_URL);
      const second = await outcome(getDb());
      const same = (await getDb()) === (await getDb());
      console.log(JSON.stringify({ first, second, same }));
      await (await getDb()).$disconnect();`;
    const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", program], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: scratch.url },
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.first).toContain(`Run \`${MIGRATE_COMMAND}\``);
    expect(result.first).toContain(scratch.url.startsWith("file:") ? scratch.url.slice(5) : "natwatch_test_");
    expect(result).toMatchObject({ second: "opened", same: true });
  }, CLI_TEST_TIMEOUT);

  it("refuses a database that lacks the latest migration, and one whose migration failed", async () => {
    const database = await createTestDatabase(provider);
    cleanups.push(database.drop);
    const latest = (await listMigrations(provider, repoRoot)).at(-1) ?? "";

    await database.db.$executeRaw`UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = ${latest}`;
    await expect(openMigratedDb(database.url, repoRoot)).rejects.toThrow(`has a failed migration (${latest})`);

    await database.db.$executeRaw`DELETE FROM _prisma_migrations WHERE migration_name = ${latest}`;
    await expect(openMigratedDb(database.url, repoRoot)).rejects.toThrow(`missing (${latest}). Run \`${MIGRATE_COMMAND}\``);
  });

  it("migrates again without changing anything and resets to empty", async () => {
    const scratch = await emptyDatabase();
    await migrateDatabase(scratch.url);
    const writer = createDb(scratch.url);
    cleanups.push(() => writer.$disconnect());
    await writer.cluster.create({ data: { name: "kind" } });
    await writer.$disconnect();

    await migrateDatabase(scratch.url);
    expect((await (await open(scratch.url)).cluster.findMany()).map((cluster) => cluster.name)).toEqual(["kind"]);

    await resetDatabase(scratch.url);
    expect(await countEveryModel(await open(scratch.url))).toEqual(new Array(16).fill(0));
  }, CLI_TEST_TIMEOUT);
});
