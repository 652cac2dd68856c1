// `tessera help [COMMAND]`: the command list, or one command's usage.
import { EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

export function generalHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: tessera COMMAND [ARGS]',
    '',
    'Tessera: an IMAP, SMTP and JMAP mail server with OpenID Connect single sign-on.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'tessera help COMMAND' for a command's options, 'tessera --version' for the version.",
    '',
  ].join('\n');
}

export function createHelpCommand(commands: () => readonly CliCommand[]): CliCommand {
  return {
    name: 'help',
    summary: 'show this list, or the usage of one command',
    usage: 'Usage: tessera help [COMMAND]',
    async run(argv: string[], io: CliIO): Promise<number> {
      const [topic, ...extra] = argv;
      if (extra.length > 0) throw new UsageError('help takes at most one command name');
      if (topic === undefined) {
        io.stdout.write(generalHelp(commands()));
        return EXIT_OK;
      }
      const command = commands().find((c) => c.name === topic);
      if (!command) throw new UsageError(`unknown command "${topic}"`);
      io.stdout.write(`${command.usage}\n`);
      return EXIT_OK;
    },
  };
}
