// COPY and MOVE (RFC 3501 §6.4.7, RFC 6851) with COPYUID (RFC 4315).
import type { CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import type { Args } from '../proto/args.js';
import type { CommandContext } from '../types.js';
import { ImapNoError } from '../proto/errors.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { resolveUids, toUidSet } from '../resolve.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { copyAcross } from '../copy-across.js';

async function run(s: ImapSession, args: Args, ctx: CommandContext, move: boolean) {
  const set = args.sequenceSet();
  const target = mailboxArg(s, args);
  args.end();
  const view = s.selected!;
  if (move && view.readOnly) throw new ImapNoError('Mailbox is read-only', view.readOnlyCode);
  const account = view.owner;
  const box = await findMailbox(s, target, 'TRYCREATE', 'insert');
  const uids = resolveUids(s, set, ctx.uid).filter((u) => !view.ghosts.has(u));
  if (uids.length === 0) return { text: `${ctx.uid ? 'UID ' : ''}${ctx.name} completed (no messages)` };
  const r = box.owner !== account
    ? await copyAcross(s, view, uids, box, move)
    : move
    ? await s.store.move(account, view.mailboxId, toUidSet(uids), box.id, { origin: s.id })
    : await s.store.copy(account, view.mailboxId, toUidSet(uids), box.id, { origin: s.id });
  if (r.sourceUids.length === 0) return { text: 'No messages copied' };
  const code = `COPYUID ${r.uidValidity} ${formatSequenceSet(r.sourceUids)} ${formatSequenceSet(r.destinationUids)}`;
  if (move) {
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
    s.untagged(`OK [${code}] Moved`);
    return {};
  }
  return { code, text: `${ctx.uid ? 'UID ' : ''}COPY completed` };
}

export const copy: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  run: (s, args, ctx) => run(s, args, ctx, false),
};

export const move: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  run: (s, args, ctx) => run(s, args, ctx, true),
};
