// `tessera alias add|remove|list` and `tessera forward add|remove|list`: James' recipient rewrites
// (aliases and forwards in users.sqlite), through the running server's WebAdmin API when
// webadmin.properties enables it and a server answers, else on the database with the same checks.
import { loadDirectoryConfig } from '../../config/load.js';
import { silentLogger } from '../../log/logger.js';
import { openUsers } from '../../server/users.js';
import { parseCommandArgs, resolveConfDir } from '../args.js';
import { rewritesOnDatabase, rewritesThroughApi, type RewriteCliKind, type RewriteOps } from '../api-rewrites.js';
import { findWebAdmin } from '../webadmin-client.js';
import { EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const WHERE = `Aliases and forwards live in <dataDir>/users.sqlite and apply to the next message. With a server
running and WebAdmin enabled in webadmin.properties, the command goes through its API (token:
$TESSERA_WEBADMIN_TOKEN or the file $TESSERA_WEBADMIN_TOKEN_FILE).
  --conf DIR   configuration directory (default: $TESSERA_CONF, else ./conf)`;

interface Spec {
  kind: RewriteCliKind;
  summary: string;
  usage: string;
  /** The confirmation line of an add or remove. */
  describe(action: 'added' | 'removed', source: string, target: string): string;
}

const ALIAS: Spec = {
  kind: 'alias',
  summary: 'add, remove or list alias addresses of users',
  usage: `Usage: tessera alias add ALIAS USER [--conf DIR]
       tessera alias remove ALIAS USER [--conf DIR]
       tessera alias list [USER] [--conf DIR]

Mail to ALIAS (an address of a served domain that is not a user) reaches USER's mailbox.
list prints "ALIAS<TAB>USER" lines, or the aliases of USER one per line.
${WHERE}`,
  describe: (action, source, target) => `${action} alias ${source} ${action === 'added' ? 'of' : 'from'} ${target}`,
};

const FORWARD: Spec = {
  kind: 'forward',
  summary: 'add, remove or list forwards of users’ mail',
  usage: `Usage: tessera forward add USER DESTINATION [--conf DIR]
       tessera forward remove USER DESTINATION [--conf DIR]
       tessera forward list [USER] [--conf DIR]

Mail to USER goes to DESTINATION (local: delivered at once; remote: through the outbound queue).
USER keeps a copy only when USER itself is among its destinations, as in James.
list prints "USER<TAB>DESTINATION" lines, or the destinations of USER one per line.
${WHERE}`,
  describe: (action, source, target) => `${action} forward of ${source} to ${target}`,
};

function rewriteCommand(spec: Spec): CliCommand {
  return {
    name: spec.kind,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv: string[], io: CliIO): Promise<number> {
      const args = parseCommandArgs(argv, { conf: { type: 'string' } });
      if (args.values.help) {
        io.stdout.write(`${spec.usage}\n`);
        return EXIT_OK;
      }
      const [action, ...operands] = args.positionals;
      if (action !== 'add' && action !== 'remove' && action !== 'list') {
        throw new UsageError(action ? `unknown ${spec.kind} action "${action}"` : 'missing action (add, remove or list)');
      }
      if (action === 'list' ? operands.length > 1 : operands.length !== 2) {
        throw new UsageError(action === 'list' ? `${spec.kind} list takes at most one user` : `${spec.kind} ${action} takes exactly two addresses`);
      }
      const confDir = resolveConfDir(args, io.env);
      const api = await findWebAdmin(confDir, io);
      if (api) return perform(spec, action, operands, rewritesThroughApi(spec.kind, api), ` (through WebAdmin at ${api.baseUrl})`, io);
      const { config, warnings } = await loadDirectoryConfig(confDir, { env: io.env });
      for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
      // The users repository the server uses (LDAP included) says who exists.
      const opened = await openUsers(config, silentLogger());
      try {
        const ops = rewritesOnDatabase(spec.kind, { users: opened.users, domains: opened.embedded.domains, rewrites: opened.embedded.rewrites });
        return await perform(spec, action, operands, ops, '', io);
      } finally {
        await opened.close();
      }
    },
  };
}

async function perform(spec: Spec, action: 'add' | 'remove' | 'list', operands: string[], ops: RewriteOps, via: string, io: CliIO): Promise<number> {
  if (action === 'list') {
    const [user] = operands;
    const mappings = await ops.list(user);
    for (const m of mappings) {
      // For one user, only the other side: its aliases, or its destinations.
      const line = user === undefined ? `${m.source}\t${m.target}` : spec.kind === 'alias' ? m.source : m.target;
      io.stdout.write(`${line}\n`);
    }
    return EXIT_OK;
  }
  const [source, target] = operands as [string, string];
  await (action === 'add' ? ops.add(source, target) : ops.remove(source, target));
  io.stderr.write(`${spec.describe(action === 'add' ? 'added' : 'removed', source.toLowerCase(), target.toLowerCase())}${via}\n`);
  return EXIT_OK;
}

export const aliasCommand = rewriteCommand(ALIAS);
export const forwardCommand = rewriteCommand(FORWARD);
