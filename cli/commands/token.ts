import { parseArgs } from "node:util";
import type { Command } from "../command";
import { CliFailure, say } from "../io";
import { withDb } from "../with-db";
import { createIngestToken } from "../../lib/server/tokens/create-ingest-token";
import { listIngestTokens } from "../../lib/server/tokens/list-ingest-tokens";
import { revokeIngestToken } from "../../lib/server/tokens/revoke-ingest-token";

const USAGE = [
  "usage: natwatch token create --cluster NAME [--label LABEL]",
  "       natwatch token list [--cluster NAME]",
  "       natwatch token revoke ID",
  "",
  "Manages the bearer tokens collectors send with their uploads, in the database of DATABASE_URL.",
  "A token is printed once, at creation; only its SHA-256 is stored. Creating a token creates its cluster.",
].join("\n");

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `natwatch token create|list|revoke`: ingest tokens, straight against the database (no server needed). */
export const tokenCommand: Command = {
  name: "token",
  usage: "token create|list|revoke …",
  summary: "create, list or revoke a cluster's ingest tokens (DATABASE_URL)",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { cluster: { type: "string" }, label: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    const [action, ...rest] = positionals;
    if (values.help || !action) {
      say(USAGE);
      return values.help ? 0 : 2;
    }
    if (action === "create") {
      if (!values.cluster || rest.length) throw new CliFailure("create needs --cluster NAME and nothing else");
      if (!CLUSTER_NAME.test(values.cluster)) throw new CliFailure(`--cluster ${values.cluster}: must be a lower-case DNS-1123 name`);
      const cluster = values.cluster;
      const created = await withDb((db) => createIngestToken(db, { cluster, label: values.label ?? "" }));
      say(`token ${created.id} for cluster ${created.cluster}${created.label ? ` (${created.label})` : ""}:`);
      say(created.token);
      say("Store it now: it is not shown again.");
      return 0;
    }
    if (action === "list") {
      if (rest.length) throw new CliFailure(`list takes no arguments (got ${rest.join(" ")})`);
      const tokens = await withDb((db) => listIngestTokens(db, values.cluster === undefined ? {} : { cluster: values.cluster }));
      if (tokens.length === 0) {
        say("no tokens");
        return 0;
      }
      say(["ID", "CLUSTER", "LABEL", "CREATED", "REVOKED"].join("\t"));
      for (const t of tokens) {
        say([t.id, t.cluster, t.label || "-", t.createdAt.toISOString(), t.revokedAt?.toISOString() ?? "-"].join("\t"));
      }
      return 0;
    }
    if (action === "revoke") {
      const id = Number(rest[0]);
      if (rest.length !== 1 || !Number.isInteger(id) || id <= 0) throw new CliFailure("revoke needs one token ID (see `natwatch token list`)");
      const result = await withDb((db) => revokeIngestToken(db, id));
      if (!result.ok) throw new CliFailure(`no token with ID ${id}`, 1);
      say(
        result.alreadyRevoked
          ? `token ${id} of cluster ${result.token.cluster} was already revoked on ${result.token.revokedAt?.toISOString()}`
          : `token ${id} of cluster ${result.token.cluster} revoked`,
      );
      return 0;
    }
    throw new CliFailure(`unknown action '${action}'\n${USAGE}`);
  },
};
