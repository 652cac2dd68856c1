// `tessera delegation`: an owner's delegation grants (kept in the mail store), which let the
// delegate log in as the owner by naming the owner as SASL authorization identity (IMAP/SMTP PLAIN
// authzid, OAUTHBEARER a=). Administrators (usersrepository.xml administratorIds) need no grant.
import { parseCommandArgs, resolveConfDir } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { openStoreFromConfig } from '../open-store.js';
import { canonicalMailUser } from '../mail-user.js';
import { endDelegatedSessions } from '../end-delegated-sessions.js';

const usage = `Usage: tessera delegation grant OWNER DELEGATE [--conf DIR]
       tessera delegation revoke OWNER DELEGATE [--conf DIR]
       tessera delegation list OWNER [--conf DIR]

Lets DELEGATE log in as OWNER (SASL PLAIN authorization identity, OAUTHBEARER a=), takes that
back (ending DELEGATE's live sessions as OWNER on the running server at once), or lists who may.
Every delegated login, and what it then does, is audited naming both users.
  --conf DIR  configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const delegationCommand: CliCommand = {
  name: 'delegation',
  summary: 'let a user log in as another (delegated access)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [action, ownerArg, delegateArg, ...extra] = args.positionals;
    const arity = action === 'list' ? 1 : 2;
    if (!action || !['grant', 'revoke', 'list'].includes(action)) throw new UsageError('give grant, revoke or list');
    if (!ownerArg || (arity === 2 && !delegateArg) || (arity === 1 && delegateArg) || extra.length > 0) {
      throw new UsageError(action === 'list' ? 'give exactly one OWNER' : 'give OWNER and DELEGATE');
    }
    const confDir = resolveConfDir(args, io.env);
    // Both must be users of the configured repository, by their canonical names (as logins see them).
    const owner = await canonicalMailUser(confDir, io.env, ownerArg);
    const delegate = delegateArg === undefined ? undefined : await canonicalMailUser(confDir, io.env, delegateArg);
    if (delegate === owner) throw new UsageError('a user cannot delegate to themselves');
    const { store, close } = await openStoreFromConfig(confDir, io.env);
    try {
      if (action === 'grant') {
        await store.grantDelegation(owner, delegate!);
        io.stdout.write(`${delegate} may now log in as ${owner}\n`);
      } else if (action === 'revoke') {
        if (!(await store.revokeDelegation(owner, delegate!))) {
          io.stderr.write(`delegation: ${delegate} had no delegation from ${owner}\n`);
          return EXIT_FAILURE;
        }
        io.stdout.write(`${delegate} may no longer log in as ${owner}\n`);
        if (!(await endDelegatedSessions(confDir, io, owner, delegate!))) return EXIT_FAILURE;
      } else {
        for (const d of await store.listDelegates(owner)) io.stdout.write(`${d}\n`);
      }
      return EXIT_OK;
    } finally {
      await close();
    }
  },
};
