// `tessera export`: writes a user's mailbox to an mbox file (mboxrd quoting, LF line ends), each
// message streamed from the store into the file.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { openStoreFromConfig } from '../open-store.js';
import { canonicalMailUser } from '../mail-user.js';
import { mboxEntry } from '../../store/mbox/mbox-writer.js';

const usage = `Usage: tessera export --user USER [--mailbox NAME] [--conf DIR] OUT.mbox

Writes every message of USER's mailbox NAME (default INBOX) to OUT.mbox in mboxrd format
("-" writes to standard output).
  --user USER     the account to export
  --mailbox NAME  mailbox, "/"-separated (default INBOX)
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const mailboxExportCommand: CliCommand = {
  name: 'export',
  summary: 'export a mailbox to an mbox file',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, user: { type: 'string' }, mailbox: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const named = stringOption(args, 'user');
    if (!named) throw new UsageError('--user is required');
    if (args.positionals.length !== 1) throw new UsageError('give exactly one output file');
    const outPath = args.positionals[0]!;
    const name = stringOption(args, 'mailbox') ?? 'INBOX';
    const user = await canonicalMailUser(resolveConfDir(args, io.env), io.env, named);
    const { store, close } = await openStoreFromConfig(resolveConfDir(args, io.env), io.env);
    try {
      const mb = await store.findMailboxByPath(user, name);
      if (!mb) {
        io.stderr.write(`export: ${user} has no mailbox ${name}\n`);
        return EXIT_FAILURE;
      }
      const snap = await store.snapshot(user, mb.id);
      const out = outPath === '-' ? io.stdout : createWriteStream(outPath, { mode: 0o600 });
      let count = 0;
      for (let i = 0; i < snap.messages.length; i += 200) {
        const uids = snap.messages.slice(i, i + 200).map((m) => m.uid);
        const metas = await store.getMessages(user, mb.id, uids, { envelope: true });
        for (const meta of metas) {
          // Read a chunk at a time and written as the file takes it: a large message is never held whole.
          const source = await store.openMessage(user, meta.emailId);
          if (!source) continue;
          const from = meta.envelope?.from?.[0];
          const sender = from?.mailbox && from.host ? `${from.mailbox}@${from.host}` : 'MAILER-DAEMON';
          for await (const piece of mboxEntry(source.chunks(), sender, meta.receivedAt)) {
            if (!out.write(piece)) await once(out, 'drain');
          }
          count++;
        }
      }
      if (out !== io.stdout) {
        out.end();
        await once(out, 'finish');
      }
      io.stderr.write(`exported ${count} message${count === 1 ? '' : 's'} from ${user} ${name}\n`);
      return EXIT_OK;
    } finally {
      await close();
    }
  },
};
