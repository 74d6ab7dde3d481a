/**
 * Runs one CLI command and turns its failures into a one-line reason and an exit status. Shared by `natwatch` and
 * the collectors' bundles (dist/collectors/*.mjs), which carry a single command each and must answer alike.
 */
import type { Command } from "./command";
import { CliFailure } from "./io";

/** Runs `command` with the arguments after its name; resolves to the exit status. */
export async function runCommand(command: Command, argv: string[]): Promise<number> {
  try {
    return await command.run(argv);
  } catch (error) {
    if (error instanceof CliFailure) {
      process.stderr.write(`natwatch ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    // Node's argument parser reports unknown or malformed options with this code.
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`natwatch ${command.name}: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
