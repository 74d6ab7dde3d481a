import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { Command } from "../command";
import { CliFailure, EXIT_BAD_INPUT, readInput, say } from "../io";
import { buildIptablesCapture, buildNftCapture } from "../../lib/capture/build-capture-upload";
import { captureBackendSchema } from "../../lib/contracts/capture";
import { describeAnswer, sendCapture } from "../../collectors/node-agent/upload";

const USAGE = [
  "usage: natwatch import --server URL --token TOKEN --cluster NAME --node NAME [--at ISO-TIME]",
  "                       [--backend iptables-nft|iptables-legacy|nftables|ipvs] [--family ipv4|ipv6] FILE|-",
  "",
  "Posts a saved `iptables-save [-c]` dump (or, with --backend nftables, `nft list table` output) to a natwatch",
  "server as one capture of NODE taken at --at (default now): the manifest first, then the chain bodies the",
  "server asks for. Prints the server's answer as JSON.",
].join("\n");

/** `natwatch import`: one saved dump → one capture on a server, through the same protocol as the node agent. */
export const importCommand: Command = {
  name: "import",
  usage: "import --server URL --token T --cluster C --node N FILE",
  summary: "post a saved iptables-save dump (or nft listing) to a natwatch server as a capture",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        cluster: { type: "string" },
        node: { type: "string" },
        at: { type: "string" },
        backend: { type: "string", default: "iptables-nft" },
        family: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      say(USAGE);
      return 0;
    }
    const { server, token, cluster, node } = values;
    if (!server || !token || !cluster || !node || positionals.length !== 1) throw new CliFailure(`missing arguments\n${USAGE}`);
    const backend = captureBackendSchema.safeParse(values.backend);
    if (!backend.success) throw new CliFailure(`--backend ${values.backend}: expected one of ${captureBackendSchema.options.join(", ")}`);
    if (values.family !== undefined && values.family !== "ipv4" && values.family !== "ipv6") throw new CliFailure(`--family ${values.family}: expected ipv4 or ipv6`);
    const capturedAt = values.at ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(capturedAt))) throw new CliFailure(`--at ${capturedAt}: not an ISO-8601 time`);

    const file = positionals[0] as string;
    const text = await readInput(file);
    const meta = {
      captureId: randomUUID(),
      cluster,
      node,
      capturedAt: new Date(capturedAt).toISOString(),
      backend: backend.data,
      ...(values.family ? { family: values.family as "ipv4" | "ipv6" } : {}),
    };
    const built = backend.data === "nftables" ? buildNftCapture(text, meta) : buildIptablesCapture(text, meta);
    if (!built.ok) {
      throw new CliFailure(`${file}:${built.error.line}: ${built.error.reason}: ${built.error.text}`, EXIT_BAD_INPUT);
    }
    const { upload, bodiesByDigest } = built.capture;
    const outcome = await sendCapture({ server, token }, { upload, bodyOf: (digest) => bodiesByDigest.get(digest), serverHasRuleset: false });
    if (outcome.kind === "unreachable") throw new CliFailure(outcome.cause, 1);
    say(JSON.stringify(outcome.body, null, 2));
    if (outcome.kind === "refused") throw new CliFailure(`the server refused the capture (${outcome.status}): ${describeAnswer(outcome.body)}`, 1);
    return 0;
  },
};
