// `tessera user add|list|remove|passwd`: accounts in the embedded users repository, the same
// database the running server reads (it caches nothing, so changes apply at once).
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { userThroughApi } from '../api-directory.js';
import { openDirectory } from '../directory.js';
import { findWebAdmin } from '../webadmin-client.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { readNewPassword } from '../password-input.js';
import type { CliCommand, CliIO } from '../types.js';
import { ReadOnlyRepositoryError, UnknownUserError, UserExistsError } from '../../auth/users/types.js';
import { UnknownDomainError } from '../../auth/users/errors.js';
import { parseUserName } from '../../auth/users/names.js';
import type { EmbeddedUsers } from '../../auth/users/sqlite-users.js';
import { openUsers } from '../../server/users.js';
import { silentLogger } from '../../log/logger.js';

const usage = `Usage: tessera user add NAME [--conf DIR] [--password PW]
       tessera user list [--conf DIR]
       tessera user remove NAME [--conf DIR]
       tessera user passwd NAME [--conf DIR] [--password PW]

Manages users of the embedded users repository (<dataDir>/users.sqlite), through the running server's
WebAdmin API when webadmin.properties enables it (token: $TESSERA_WEBADMIN_TOKEN or the file
$TESSERA_WEBADMIN_TOKEN_FILE). NAME is user@domain when
virtual hosting is on (usersrepository.xml enableVirtualHosting), a bare name otherwise; the domain
must have been added with \`tessera domain add\`.
The password is read from a prompt that does not echo it, or from the first line of standard input
when that is not a terminal:  echo 'secret' | tessera user add alice@example.org
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)
  --password PW   take the password from the command line (visible to other users: avoid)`;

const ARGV_PASSWORD_WARNING =
  'tessera: warning: a password given with --password is visible to other users of this machine (ps, shell history); prefer the prompt or standard input\n';

async function passwordFor(username: string, password: string | undefined, io: CliIO): Promise<string> {
  if (password !== undefined) {
    io.stderr.write(ARGV_PASSWORD_WARNING);
    return password;
  }
  return readNewPassword(io, username);
}

/** Checks what can be checked before asking for a password, so nobody types one for nothing. */
async function precheck(embedded: EmbeddedUsers, action: 'add' | 'passwd', name: string): Promise<string> {
  const parsed = parseUserName(name, embedded.users.virtualHosting);
  const existing = await embedded.users.lookup(parsed.username);
  if (action === 'add') {
    if (existing) throw new UserExistsError(`user ${parsed.username} already exists`);
    if (parsed.domain !== undefined && !(await embedded.domains.contains(parsed.domain))) {
      throw new UnknownDomainError(`domain ${parsed.domain} is not in the domain list; add it first with: tessera domain add ${parsed.domain}`);
    }
  } else if (!existing) {
    throw new UnknownUserError(`user ${parsed.username} does not exist`);
  }
  return parsed.username;
}

export const userCommand: CliCommand = {
  name: 'user',
  summary: 'add, list or remove users, or change a password',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, password: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [action, name, ...extra] = args.positionals;
    if (!action || !['add', 'list', 'remove', 'passwd'].includes(action)) {
      throw new UsageError(action ? `unknown user action "${action}"` : 'missing action (add, list, remove or passwd)');
    }
    const needsName = action !== 'list';
    if (needsName ? name === undefined || extra.length > 0 : name !== undefined) {
      throw new UsageError(needsName ? `user ${action} takes exactly one user name` : 'user list takes no argument');
    }
    const password = stringOption(args, 'password');
    if (password !== undefined && action !== 'add' && action !== 'passwd') {
      throw new UsageError(`--password does not apply to user ${action}`);
    }
    const confDir = resolveConfDir(args, io.env);
    const api = await findWebAdmin(confDir, io);
    if (api) {
      await userThroughApi(api, action as 'add' | 'list' | 'remove' | 'passwd', name, (u) => passwordFor(u, password, io), io);
      return EXIT_OK;
    }
    const { config, embedded } = await openDirectory(confDir, io);
    try {
      if (config.users.kind !== 'embedded') {
        if (action !== 'list') {
          throw new ReadOnlyRepositoryError('usersrepository.xml configures LDAP: users are managed in the directory, not with tessera user');
        }
        // Listing reads the directory itself, as the server would.
        const opened = await openUsers(config, silentLogger());
        try {
          for (const u of await opened.users.list()) io.stdout.write(`${u.username}\n`);
        } finally {
          await opened.close();
        }
        return EXIT_OK;
      }
      switch (action) {
        case 'list':
          for (const u of await embedded.users.list()) io.stdout.write(`${u.username}\n`);
          break;
        case 'add': {
          const username = await precheck(embedded, 'add', name!);
          await embedded.users.add(username, await passwordFor(username, password, io));
          io.stderr.write(`added user ${username}\n`);
          break;
        }
        case 'passwd': {
          const username = await precheck(embedded, 'passwd', name!);
          await embedded.users.setPassword(username, await passwordFor(username, password, io));
          io.stderr.write(`changed the password of ${username}\n`);
          break;
        }
        case 'remove': {
          const canonical = (await embedded.users.lookup(name!))?.username ?? name!;
          await embedded.users.remove(canonical);
          io.stderr.write(`removed user ${canonical}\n`);
          break;
        }
      }
      return EXIT_OK;
    } finally {
      await embedded.close();
    }
  },
};
