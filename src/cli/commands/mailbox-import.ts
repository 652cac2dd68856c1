// `tessera import`: loads an mbox file or a Maildir into a user's mailbox, byte-exact (line ends
// made CRLF), with flags and dates when the source has them.
import { promises as fs } from 'node:fs';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { openStoreFromConfig } from '../open-store.js';
import { canonicalMailUser } from '../mail-user.js';
import { NotMboxError, readMbox } from '../../store/mbox/mbox-reader.js';
import { isMaildir, listMaildir } from '../../store/mbox/maildir-reader.js';
import { Progress } from '../../store/mbox/progress.js';
import type { AppendInput, MailboxStore } from '../../store/types.js';
import { OverQuotaError } from '../../store/errors.js';

const usage = `Usage: tessera import --user USER [--mailbox NAME] [--conf DIR] FILE.mbox|MAILDIR

Imports messages into USER's mailbox NAME (default INBOX; created when missing).
An mbox file (mboxrd or mboxo) keeps the separator dates and Status/X-Status flags.
A Maildir keeps the flags of its file names; Maildir++ sub-folders (.A.B) go to A/B
(under NAME when --mailbox is given).
  --user USER     the account to import into
  --mailbox NAME  target mailbox, "/"-separated (default INBOX)
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)`;

const BATCH = 200;

function crlf(bytes: Buffer): Buffer {
  if (!bytes.includes(10)) return bytes;
  return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

async function mailboxId(store: MailboxStore, user: string, path: string, cache: Map<string, string>): Promise<string> {
  const hit = cache.get(path);
  if (hit) return hit;
  const mb = (await store.findMailboxByPath(user, path)) ?? (await store.createMailbox(user, { path, subscribed: true }));
  cache.set(path, mb.id);
  return mb.id;
}

export const mailboxImportCommand: CliCommand = {
  name: 'import',
  summary: 'import an mbox file or a Maildir into a mailbox',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, user: { type: 'string' }, mailbox: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const named = stringOption(args, 'user');
    if (!named) throw new UsageError('--user is required');
    if (args.positionals.length !== 1) throw new UsageError('give exactly one mbox file or Maildir directory');
    const source = args.positionals[0]!;
    const st = await fs.stat(source).catch(() => null);
    if (!st) {
      io.stderr.write(`import: ${source}: no such file or directory\n`);
      return EXIT_FAILURE;
    }
    const target = stringOption(args, 'mailbox') ?? 'INBOX';
    const user = await canonicalMailUser(resolveConfDir(args, io.env), io.env, named);
    const { store, close } = await openStoreFromConfig(resolveConfDir(args, io.env), io.env);
    const cache = new Map<string, string>();
    let imported = 0;
    let batch: AppendInput[] = [];
    const progressOut = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    const flush = async () => {
      if (!batch.length) return;
      await store.appendMany(user, batch);
      imported += batch.length;
      batch = [];
    };
    try {
      await store.ensureAccount(user);
      if (st.isDirectory()) {
        if (!(await isMaildir(source))) throw new UsageError(`${source} is a directory but not a Maildir (no cur/ or new/)`);
        const files = await listMaildir(source);
        const progress = new Progress(progressOut, files.length);
        for (const f of files) {
          const path = f.folder === '' ? target : target === 'INBOX' && !args.values.mailbox ? f.folder : `${target}/${f.folder}`;
          const bytes = crlf(await fs.readFile(f.file));
          const mtime = (await fs.stat(f.file)).mtime;
          batch.push({ mailboxIds: [await mailboxId(store, user, path, cache)], bytes, flags: f.flags, receivedAt: mtime });
          if (batch.length >= BATCH) await flush();
          progress.update(imported + batch.length, imported + batch.length);
        }
        await flush();
        progress.finish();
      } else {
        const progress = new Progress(progressOut, st.size);
        // Created with the first message, so a file that turns out not to be an mbox leaves no trace.
        let id: string | undefined;
        let read = 0;
        for await (const m of readMbox(source, (n) => (read += n))) {
          id ??= await mailboxId(store, user, target, cache);
          batch.push({ mailboxIds: [id], bytes: m.bytes, flags: m.flags, ...(m.receivedAt ? { receivedAt: m.receivedAt } : {}) });
          if (batch.length >= BATCH) await flush();
          progress.update(read, imported + batch.length);
        }
        await flush();
        progress.update(st.size, imported);
        progress.finish();
      }
      io.stdout.write(`imported ${imported} message${imported === 1 ? '' : 's'} into ${user}\n`);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if (err instanceof NotMboxError) {
        io.stderr.write(`import: ${err.message}; nothing was imported\n`);
        return EXIT_FAILURE;
      }
      const reason = err instanceof OverQuotaError ? `over quota (${err.resource})` : err instanceof Error ? err.message : String(err);
      io.stderr.write(`\nimport stopped after ${imported} messages: ${reason}\n`);
      return EXIT_FAILURE;
    } finally {
      await close();
    }
  },
};
