/**
 * `natwatch <command>`: the command line of natwatch. Each command lives in its own module under `commands/`;
 * this file only dispatches (run-command.ts turns failures into a one-line reason and an exit status).
 */
import type { Command } from "./command";
import { runCommand } from "./run-command";
import { explainCommand } from "./commands/explain";
import { diffCommand } from "./commands/diff";
import { importCommand } from "./commands/import";
import { tokenCommand } from "./commands/token";
import { pruneCommand } from "./commands/prune";
import { inventoryCommand } from "./commands/inventory";
import { agentCommand } from "./commands/agent";
import { replayCommand } from "./commands/replay";

const commands: Command[] = [explainCommand, diffCommand, importCommand, tokenCommand, pruneCommand, agentCommand, inventoryCommand, replayCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    "usage: natwatch <command> [options]",
    "",
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    "",
    "Run `natwatch <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI with the given arguments and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`natwatch: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  return runCommand(command, rest);
}
