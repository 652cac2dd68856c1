// REPLACE and UID REPLACE (RFC 8508): appends a message to a mailbox and expunges the one it
// replaces from the selected mailbox, in one store transaction, so the old message is never lost
// without the new one stored. The message takes APPEND's syntax and path (../append-messages.ts).
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { parseSequenceSet } from '../proto/sequence.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { resolveUids } from '../resolve.js';
import { appendMessages, appendUidCode, parseAppendMessages } from '../append-messages.js';

export const replace: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  async run(s, args, ctx) {
    // §6: one message number (a sequence number, or a UID for UID REPLACE), never a set.
    const number = args.atom('message number');
    if (!/^([1-9]\d{0,9}|\*)$/.test(number)) throw new ImapSyntaxError('Expected one message number');
    const name = mailboxArg(s, args);
    const messages = parseAppendMessages(args);
    if (messages.length !== 1) throw new ImapSyntaxError('REPLACE takes one message');
    const view = s.selected!;
    // §3.3: the replaced message is expunged, which a read-only mailbox does not allow.
    if (view.readOnly) throw new ImapNoError('Mailbox is read-only', 'READ-ONLY');
    const uids = resolveUids(s, parseSequenceSet(number), ctx.uid).filter((u) => !view.ghosts.has(u));
    if (uids.length !== 1) {
      if (ctx.uid) throw new ImapNoError('No message with that UID', 'NONEXISTENT');
      throw new ImapSyntaxError('Invalid message sequence number');
    }
    const box = await findMailbox(s, name, 'TRYCREATE', 'insert');
    // The store removes the replaced message in the append's transaction, which is one account's.
    if (box.owner !== view.owner) throw new ImapNoError('REPLACE cannot move a message to another user\'s mailboxes', 'CANNOT');
    const results = await appendMessages(s, box, messages, { replaces: { mailboxId: view.mailboxId, uid: uids[0]! } });
    // §3.2: APPENDUID goes in an untagged OK before the EXPUNGE (as COPYUID for MOVE, RFC 6851).
    s.untagged(`OK [${appendUidCode(results)}] Replacement appended`);
    return { text: `${ctx.uid ? 'UID ' : ''}REPLACE completed` };
  },
};
