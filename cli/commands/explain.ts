import { parseArgs } from "node:util";
import type { Command } from "../command";
import { readInput, say } from "../io";
import { loadModel } from "../load-model";
import { formatExplain } from "../format-explain";

/** `natwatch explain [--json] FILE|-`: what a node's NAT rules say, per service port. */
export const explainCommand: Command = {
  name: "explain",
  usage: "explain [--json] FILE|-",
  summary: "per service port: VIPs, node ports, endpoints with shares, chain names verified, counters, problems",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help || positionals.length !== 1) {
      say(
        [
          "usage: natwatch explain [--json] FILE|-",
          "",
          "Reads `iptables-save [-c]` output (any tables; nat and filter are used), an `iptables -S` listing, or",
          "`nft list table ip kube-proxy` output, and explains every service port kube-proxy programmed.",
          "  --json   print { servicePorts: [...], problems: [...] }",
          "Example: iptables-save -c -t nat | natwatch explain -",
        ].join("\n"),
      );
      return values.help ? 0 : 2;
    }
    const source = positionals[0]!;
    const model = loadModel(await readInput(source), source);
    if (values.json) say(JSON.stringify({ servicePorts: model.servicePorts, problems: model.problems }, null, 2));
    else say(formatExplain(model));
    return 0;
  },
};
