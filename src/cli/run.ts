// Dispatches `tessera <command> …` to its CliCommand and maps failures to exit codes:
// 0 done, 1 failed (one line on stderr), 2 the command line itself is wrong (message + usage).
import { ConfigError } from '../config/errors.js';
import {
  InvalidUserNameError,
  ReadOnlyRepositoryError,
  UnknownUserError,
  UserExistsError,
  UsersRepositoryUnavailableError,
} from '../auth/users/types.js';
import {
  DomainExistsError,
  DomainInUseError,
  InvalidDomainNameError,
  InvalidPasswordError,
  UnknownDomainError,
} from '../auth/users/errors.js';
import { StartupError } from '../server/errors.js';
import { ListenerTlsError } from '../net/index.js';
import { tesseraVersion } from '../server/version.js';
import { domainCommand } from './commands/domain.js';
import { dkimCommand } from './commands/dkim.js';
import { createHelpCommand, generalHelp } from './commands/help.js';
import { mailboxExportCommand } from './commands/mailbox-export.js';
import { mailboxImportCommand } from './commands/mailbox-import.js';
import { migrateCommand } from './commands/migrate.js';
import { TargetNotEmptyError } from '../core/table-copy.js';
import { MissingBlobsError } from '../store/to-postgres/blob-copy.js';
import { UnplannedTableError } from '../store/to-postgres/tables.js';
import { serveCommand } from './commands/serve.js';
import { sessionsCommand } from './commands/sessions.js';
import { appPasswordCommand } from './commands/app-password.js';
import { dnsSrvCommand } from './commands/dns-srv.js';
import { userCommand } from './commands/user.js';
import { delegationCommand } from './commands/delegation.js';
import { aliasCommand, forwardCommand } from './commands/address-rewrite.js';
import { RewriteRequestError } from '../auth/rewrite/manage.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, PasswordInputError, UsageError } from './errors.js';
import type { CliCommand, CliIO } from './types.js';
import { WebAdminRequestError } from './webadmin-client.js';

const helpCommand: CliCommand = createHelpCommand(() => COMMANDS);
export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  userCommand,
  domainCommand,
  aliasCommand,
  forwardCommand,
  dkimCommand,
  mailboxImportCommand,
  mailboxExportCommand,
  migrateCommand,
  delegationCommand,
  sessionsCommand,
  appPasswordCommand,
  dnsSrvCommand,
  helpCommand,
];

/** Errors whose message is the whole story for the operator: no stack trace. */
const EXPECTED_ERRORS = [
  ConfigError,
  StartupError,
  ListenerTlsError,
  UsersRepositoryUnavailableError,
  ReadOnlyRepositoryError,
  UserExistsError,
  UnknownUserError,
  InvalidUserNameError,
  DomainExistsError,
  DomainInUseError,
  InvalidDomainNameError,
  InvalidPasswordError,
  UnknownDomainError,
  PasswordInputError,
  WebAdminRequestError,
  RewriteRequestError,
  TargetNotEmptyError,
  MissingBlobsError,
  UnplannedTableError,
];

function isExpected(err: unknown): err is Error {
  return EXPECTED_ERRORS.some((type) => err instanceof type);
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(generalHelp(COMMANDS));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h') return helpCommand.run([], io);
  if (name === '--version' || name === '-V') {
    io.stdout.write(`tessera ${tesseraVersion()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`tessera: unknown command "${name}"\n${generalHelp(COMMANDS)}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`tessera ${command.name}: ${err.message}\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (isExpected(err)) {
      io.stderr.write(`tessera: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`tessera: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

