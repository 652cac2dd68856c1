// `tessera domain add|list|remove`: the domain list the server accepts mail and users for.
import { parseCommandArgs, resolveConfDir } from '../args.js';
import { domainThroughApi } from '../api-directory.js';
import { openDirectory } from '../directory.js';
import { findWebAdmin } from '../webadmin-client.js';
import { EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { canonicalDomain } from '../../auth/users/names.js';

const usage = `Usage: tessera domain add DOMAIN [--conf DIR]
       tessera domain list [--conf DIR]
       tessera domain remove DOMAIN [--conf DIR]

Manages the domains Tessera serves, in <dataDir>/users.sqlite (the database the server uses), through
the running server's WebAdmin API when webadmin.properties enables it (see tessera help user).
Domains listed in domainlist.xml are added at every start and cannot be removed here.
A domain that still has users cannot be removed.
  --conf DIR   configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const domainCommand: CliCommand = {
  name: 'domain',
  summary: 'add, list or remove served domains',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [action, domain, ...extra] = args.positionals;
    const needsName = action === 'add' || action === 'remove';
    if (!action || !['add', 'list', 'remove'].includes(action)) {
      throw new UsageError(action ? `unknown domain action "${action}"` : 'missing action (add, list or remove)');
    }
    if (needsName ? domain === undefined || extra.length > 0 : domain !== undefined) {
      throw new UsageError(needsName ? `domain ${action} takes exactly one domain name` : 'domain list takes no argument');
    }
    const confDir = resolveConfDir(args, io.env);
    const api = await findWebAdmin(confDir, io);
    if (api) {
      await domainThroughApi(api, action as 'add' | 'list' | 'remove', domain, io);
      return EXIT_OK;
    }
    const { embedded } = await openDirectory(confDir, io);
    try {
      if (action === 'list') {
        for (const name of await embedded.domains.list()) io.stdout.write(`${name}\n`);
      } else if (action === 'add') {
        await embedded.domains.add(domain!);
        io.stderr.write(`added domain ${canonicalDomain(domain!)}\n`);
      } else {
        await embedded.domains.remove(domain!);
        io.stderr.write(`removed domain ${canonicalDomain(domain!)}\n`);
      }
      return EXIT_OK;
    } finally {
      await embedded.close();
    }
  },
};
