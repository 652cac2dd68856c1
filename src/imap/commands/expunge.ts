// EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1). The EXPUNGE responses come from the
// session's refresh after the command, the same path that reports other sessions' expunges.
import type { CommandSpec } from '../types.js';
import { ImapNoError } from '../proto/errors.js';
import { resolveUids, toUidSet } from '../resolve.js';

export const expunge: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  async run(s, args, ctx) {
    const view = s.selected!;
    let limit: number[] | undefined;
    if (ctx.uid) limit = resolveUids(s, args.sequenceSet(), true);
    args.end();
    if (view.readOnly) throw new ImapNoError('Mailbox is read-only', view.readOnlyCode);
    if (limit && limit.length === 0) return;
    await s.store.expunge(view.owner, view.mailboxId, limit ? toUidSet(limit) : undefined, { origin: s.id });
  },
};
