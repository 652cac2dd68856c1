// A `tessera` subcommand. main.ts dispatches argv[0] to one of these; each returns an exit code.

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** First word on the command line: "serve", "user", "domain", "import", … */
  name: string;
  /** One line for `tessera help`. */
  summary: string;
  /** Usage text shown by `tessera help <name>` and on argument errors. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
