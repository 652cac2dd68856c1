// `tessera migrate --to postgres`: moves what a single node keeps in its data directory into the
// PostgreSQL database that tessera.properties names (storage.engine=postgres), so several nodes can
// share it: the users database (users.sqlite: users, domains, app passwords, aliases and forwards,
// markers), then the mail store (store/store.sqlite and store/blobs/, where `tessera serve` keeps
// them (storeDirectory): every id, UID, modseq and JMAP state kept;
// see src/store/to-postgres/copy.ts). Either may be absent; not both.
import { existsSync } from 'node:fs';
import { loadSettingsConfig } from '../../config/load.js';
import { copyUsersDatabaseToPostgres } from '../../auth/users/copy-to-postgres.js';
import { usersDatabasePath } from '../../auth/users/database.js';
import { copyMailStoreToPostgres } from '../../store/to-postgres/copy.js';
import { storeDirectory } from '../../store/index.js';
import type { TableCount } from '../../core/table-copy.js';
import { Progress } from '../../store/mbox/progress.js';
import { lockDataDirectory } from '../../server/data-lock.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera migrate --to postgres [--force] [--conf DIR]

Copies the data directory of a single node into the PostgreSQL database of tessera.properties
(storage.engine=postgres, storage.postgres.url/.schema), with a progress bar on stderr, then counts
every table's rows on both sides:
  - <dataDir>/users.sqlite (users, domains, app passwords, aliases and forwards), in one transaction;
  - the mail store, <dataDir>/store/store.sqlite and store/blobs/: accounts, mailboxes, messages, flags, ACLs,
    annotations, Sieve scripts, identities, vacation, push subscriptions, share notifications, quota,
    the outbound queue and revocations. Ids, UIDVALIDITY, UIDs and modseqs stay as they are, and so do
    the JMAP states and change logs: IMAP and JMAP clients carry on without downloading anything
    again. Blobs are copied first (an interrupted run resumes them), then every row in one transaction
    that is rolled back when a count differs.
Stop the node first.
  --to postgres   the target engine (the only one)
  --force         replace rows the PostgreSQL tables already hold (refused otherwise)
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'move a node\'s users database and mail store into PostgreSQL',
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
    // The server's own lock: a node still running on the directory would write behind the copy.
    const lock = lockDataDirectory(dataDir);
    try {
      return await move(dataDir, { url: storage.url, ...(storage.schema !== undefined ? { schema: storage.schema } : {}) }, args.values.force === true, io);
    } finally {
      lock.release();
    }
  },
};

/** Users database, then mail store; the exit status. */
async function move(dataDir: string, target: { url: string; schema?: string }, force: boolean, io: CliIO): Promise<number> {
  const out = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  let ok = true;
  let moved = false;
  if (existsSync(usersDatabasePath(dataDir))) {
    let progress: Progress | undefined;
    const counts = await copyUsersDatabaseToPostgres(dataDir, { ...target, poolSize: 2 }, {
      force,
      onProgress: (done, total) => {
        progress ??= new Progress(out, total, 'rows');
        progress.update(done, done);
      },
    });
    progress?.finish();
    ok = report(counts, 'users.sqlite', io);
    moved = true;
  }
  if (ok) {
    let progress: Progress | undefined;
    const mail = await copyMailStoreToPostgres(storeDirectory(dataDir), target, {
      force,
      onProgress: (done, total) => {
        progress ??= new Progress(out, total, 'rows and blobs');
        progress.update(done, done);
      },
    });
    progress?.finish();
    if (mail) {
      ok = report(mail.counts, 'store.sqlite', io);
      io.stderr.write(`blobs: ${mail.blobsCopied} copied (${mail.blobBytes} bytes), the others were there already\n`);
      if (!mail.committed) io.stderr.write('tessera: the mail store rows were rolled back; PostgreSQL holds none of them\n');
      moved = true;
    }
  }
  if (!moved) {
    io.stderr.write(`tessera: ${dataDir} holds neither users.sqlite nor store/store.sqlite: nothing to move\n`);
    return EXIT_FAILURE;
  }
  io.stderr.write(ok ? 'moved to PostgreSQL: start the nodes on it now\n' : 'tessera: the row counts differ: see above\n');
  return ok ? EXIT_OK : EXIT_FAILURE;
}

/** One line per table; true when every count agrees. */
function report(counts: TableCount[], source: string, io: CliIO): boolean {
  let ok = true;
  for (const c of counts) {
    const same = c.source === c.target;
    ok &&= same;
    io.stderr.write(`${c.table}: ${c.source} in ${source}, ${c.target} in PostgreSQL${same ? '' : '  MISMATCH'}\n`);
  }
  return ok;
}
