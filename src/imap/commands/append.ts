// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502) and APPENDUID (RFC 4315). Every message is
// parsed and checked before the first is stored, so a bad one leaves nothing behind.
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { parseFlags } from '../flags.js';
import { parseDateTime } from '../datetime.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { encodeBinaryParts } from '../binary-append.js';

interface Pending {
  flags: string[];
  date?: Date;
  raw: Buffer;
}

export const append: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const name = mailboxArg(s, args);
    const messages: Pending[] = [];
    while (args.remaining > 0) {
      let flags: string[] = [];
      let date: Date | undefined;
      if (args.peek()?.type === 'list') flags = parseFlags(args.list());
      const t = args.peek();
      if (t && t.type === 'string' && !t.literal) date = parseDateTime(t.value.toString('latin1'));
      if (date) args.next();
      const msg = args.next('message literal');
      if (msg.type !== 'string' || !msg.literal) throw new ImapSyntaxError('Message must be a literal');
      if (!msg.binary && msg.value.includes(0)) throw new ImapNoError('Message contains NUL; use literal8', 'UNKNOWN-CTE');
      if (msg.value.length === 0) throw new ImapNoError('Empty message', 'CANNOT');
      const raw = msg.binary ? encodeBinaryParts(msg.value) : msg.value;
      messages.push({ flags, raw, ...(date ? { date } : {}) });
    }
    if (messages.length === 0) throw new ImapSyntaxError('Missing message literal');
    const box = await findMailbox(s, name, 'TRYCREATE');
    // MULTIAPPEND is all or nothing (RFC 3502 §6.3.11).
    const results = await s.store.appendMany(
      s.account!,
      messages.map((m) => ({ mailboxIds: [box.id], bytes: m.raw, flags: m.flags, ...(m.date ? { receivedAt: m.date } : {}) })),
      { origin: s.id },
    );
    const uids = results.map((r) => r.placements[0]!.uid);
    const uidValidity = results[0]!.placements[0]!.uidValidity;
    return { code: `APPENDUID ${uidValidity} ${formatSequenceSet(uids)}`, text: 'APPEND completed' };
  },
};
