// `tessera migrate --to postgres`: moves what a single node keeps in its data directory into the
// PostgreSQL database that tessera.properties names (storage.engine=postgres), so several nodes can
// share it. This version moves the users database (users.sqlite: users, domains, app passwords,
// aliases and forwards, markers); the mail store is not moved by it.
import { loadSettingsConfig } from '../../config/load.js';
import { copyUsersDatabaseToPostgres, type TableCount } from '../../auth/users/copy-to-postgres.js';
import { Progress } from '../../store/mbox/progress.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera migrate --to postgres [--force] [--conf DIR]

Copies <dataDir>/users.sqlite (users, domains, app passwords, aliases and forwards) into the PostgreSQL
database of tessera.properties (storage.engine=postgres, storage.postgres.url/.schema), in one
transaction, with a progress bar on stderr, then counts every table's rows on both sides.
Stop the node first. The mail store (mailboxes, messages, blobs) is not moved by this command.
  --to postgres   the target engine (the only one)
  --force         replace rows the PostgreSQL users tables already hold (refused otherwise)
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'move a node\'s users database into PostgreSQL',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    if (args.positionals.length > 0) throw new UsageError('migrate takes no arguments besides its options');
    const to = stringOption(args, 'to');
    if (to !== 'postgres') throw new UsageError(to === undefined ? 'missing --to postgres' : `unknown target "${to}"; only postgres`);
    const { config } = await loadSettingsConfig(resolveConfDir(args, io.env), { env: io.env });
    const { storage, dataDir } = config.settings;
    if (storage.engine !== 'postgres') {
      throw new UsageError('tessera.properties must name the target first: storage.engine=postgres and storage.postgres.url');
    }
    const out = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    let progress: Progress | undefined;
    const counts = await copyUsersDatabaseToPostgres(
      dataDir,
      { url: storage.url, poolSize: 2, ...(storage.schema !== undefined ? { schema: storage.schema } : {}) },
      {
        force: args.values.force === true,
        onProgress: (done, total) => {
          progress ??= new Progress(out, total, 'rows');
          progress.update(done, done);
        },
      },
    );
    progress?.finish();
    return report(counts, io);
  },
};

/** One line per table; a table whose counts differ fails the command. */
function report(counts: TableCount[], io: CliIO): number {
  let ok = true;
  for (const c of counts) {
    const same = c.source === c.target;
    ok &&= same;
    io.stderr.write(`${c.table}: ${c.source} in users.sqlite, ${c.target} in PostgreSQL${same ? '' : '  MISMATCH'}\n`);
  }
  io.stderr.write(ok ? 'users database moved to PostgreSQL; the mail store was not moved\n' : 'tessera: the row counts differ: see above\n');
  return ok ? EXIT_OK : EXIT_FAILURE;
}
