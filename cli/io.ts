/** Terminal I/O of the CLI: reading an input file or stdin, and the one-line failure convention. */
import { readFile } from "node:fs/promises";

/** Exit status for unreadable or invalid input (the caller's fault), as opposed to 1 for natwatch's own failures. */
export const EXIT_BAD_INPUT = 2;

/** A failure that ends a command with a one-line reason and an exit status. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    super(message);
  }
}

/** Reads a file, or standard input when the name is `-`. */
export async function readInput(name: string): Promise<string> {
  if (name === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(name, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliFailure(`${name}: cannot read (${code ?? String(error)})`);
  }
}

/** Writes a line to stdout. */
export function say(text = ""): void {
  process.stdout.write(`${text}\n`);
}
