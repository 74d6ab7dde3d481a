import { parseArgs } from "node:util";
import type { Command } from "../command";
import { readInput, say } from "../io";
import { loadModel } from "../load-model";
import { diffServiceModels } from "../../lib/diff/diff-service-models";

/** `natwatch diff [--json] BEFORE AFTER`: the service-level changes between two captures. */
export const diffCommand: Command = {
  name: "diff",
  usage: "diff [--json] BEFORE AFTER",
  summary: "what changed for each service port between two captures (ignores rule order and counters)",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help || positionals.length !== 2) {
      say(
        [
          "usage: natwatch diff [--json] BEFORE AFTER",
          "",
          "Compares two captures (iptables-save, iptables -S or nft output; `-` reads one of them from stdin)",
          "and prints service ports added/removed, endpoints added/removed/replaced, weights and paths changed.",
          "  --json   print { changes: [...] }",
        ].join("\n"),
      );
      return values.help ? 0 : 2;
    }
    const [beforeName, afterName] = positionals as [string, string];
    const before = loadModel(await readInput(beforeName), beforeName);
    const after = loadModel(await readInput(afterName), afterName);
    const changes = diffServiceModels(before, after);
    if (values.json) {
      say(JSON.stringify({ changes }, null, 2));
    } else if (changes.length === 0) {
      say("no service-level changes");
    } else {
      let current = "";
      for (const change of changes) {
        const heading = `${change.servicePort} (${change.protocol})`;
        if (heading !== current) say(heading);
        current = heading;
        say(`  ${change.kind.padEnd(22)} ${change.summary}`);
      }
    }
    return 0;
  },
};
