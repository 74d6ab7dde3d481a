/**
 * `natwatch token create|list|revoke` against DATABASE_URL (both providers), and what the tokens it prints are
 * worth to the ingest authentication.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { authenticateIngest, authorizeCluster } from "../../lib/server/auth/authenticate-ingest";
import { providers, useTestDatabase } from "./support/databases";
import { repoRoot } from "./support/ingest-fixtures";

const run = promisify(execFile);
const cli = path.join(repoRoot, "bin/natwatch.mjs");

describe.each(providers)("natwatch token on %s", (provider) => {
  const database = useTestDatabase(provider);
  const natwatch = (...args: string[]) =>
    run(process.execPath, [cli, "token", ...args], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: database().url } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("creates a cluster's token once, lists it without its secret, and revokes it", async () => {
    const { db } = database();
    const created = await natwatch("create", "--cluster", "kind", "--label", "node agents");
    expect(created.code).toBe(0);
    const [heading, token, warning] = created.stdout.trim().split("\n");
    expect(heading).toMatch(/^token \d+ for cluster kind \(node agents\):$/);
    expect(token).toMatch(/^nwt_[A-Za-z0-9_-]{43}$/);
    expect(warning).toBe("Store it now: it is not shown again.");
    const id = Number(/^token (\d+)/.exec(heading!)![1]);

    // Stored hashed: the secret is nowhere in the database.
    const row = await db.ingestToken.findUniqueOrThrow({ where: { id } });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.tokenHash).not.toContain(token!);
    const auth = await authenticateIngest(db, `Bearer ${token}`);
    expect(auth).toMatchObject({ ok: true, principal: { tokenId: id, cluster: "kind" } });
    if (auth.ok) expect(authorizeCluster(auth.principal, "other")).toMatchObject({ status: 403 });

    const listed = await natwatch("list", "--cluster", "kind");
    expect(listed.stdout).toContain(`${id}\tkind\tnode agents\t`);
    expect(listed.stdout).not.toContain(token!);

    expect((await natwatch("revoke", String(id))).stdout.trim()).toBe(`token ${id} of cluster kind revoked`);
    expect(await authenticateIngest(db, `Bearer ${token}`)).toMatchObject({ ok: false, error: { status: 401, error: "ingest token revoked" } });
    expect((await natwatch("revoke", String(id))).stdout).toMatch(new RegExp(`^token ${id} of cluster kind was already revoked on `));
    expect((await natwatch("list")).stdout).toMatch(new RegExp(`${id}\\tkind\\tnode agents\\t\\S+\\t\\d{4}-`));
  });

  it("refuses bad arguments and unknown ids with a reason and an exit status", async () => {
    expect(await natwatch("create")).toMatchObject({ code: 2, stderr: "natwatch token: create needs --cluster NAME and nothing else\n" });
    expect(await natwatch("create", "--cluster", "Kind_1")).toMatchObject({ code: 2, stderr: "natwatch token: --cluster Kind_1: must be a lower-case DNS-1123 name\n" });
    expect(await natwatch("revoke", "99999")).toMatchObject({ code: 1, stderr: "natwatch token: no token with ID 99999\n" });
    expect(await natwatch("revoke", "x")).toMatchObject({ code: 2 });
  });
});
