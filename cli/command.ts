/** The shape every CLI command has. */
export interface Command {
  /** The word after `natwatch`. */
  name: string;
  /** `explain [--json] FILE|-`: the synopsis shown in the overview. */
  usage: string;
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit status. */
  run(argv: string[]): Promise<number>;
}
