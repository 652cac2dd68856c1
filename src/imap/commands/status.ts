// STATUS (RFC 3501 §6.3.10) with SIZE (RFC 8438), HIGHESTMODSEQ (RFC 7162), DELETED (RFC 9051) and
// APPENDLIMIT (RFC 7889) and MAILBOXID (RFC 8474 §4).
import type { CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import type { Token } from '../proto/tokens.js';
import { mailboxArg, encodeName, findMailbox, displayName } from '../mailbox-name.js';
import { flat, type Wire } from '../proto/serialize.js';
import { appendLimit } from '../limits.js';

const ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'SIZE', 'HIGHESTMODSEQ', 'DELETED', 'APPENDLIMIT', 'MAILBOXID'];

export function parseStatusItems(tokens: Token[]): string[] {
  if (tokens.length === 0) throw new ImapSyntaxError('Empty STATUS item list');
  return tokens.map((t) => {
    const v = tokenText(t).toUpperCase();
    if (!ITEMS.includes(v)) throw new ImapSyntaxError(`Unknown STATUS item ${v.slice(0, 30)}`);
    return v;
  });
}

export async function statusLine(s: ImapSession, account: string, mailboxId: string, items: string[]): Promise<Wire[]> {
  const st = await s.store.getMailbox(account, mailboxId);
  if (!st) throw new ImapNoError('Mailbox does not exist', 'NONEXISTENT');
  // RFC 4314 §4: STATUS needs "r" (a mailbox seen through "l" alone is listed, not read).
  if (account !== s.account && !(await s.store.myRights(s.actor!, account, mailboxId)).includes('r')) {
    throw new ImapNoError('Permission denied', 'NOPERM');
  }
  const values: string[] = [];
  for (const item of items) {
    if (item === 'APPENDLIMIT') {
      // One limit for every mailbox: the listener's (NIL: none).
      values.push(`APPENDLIMIT ${appendLimit(s.config) ?? 'NIL'}`);
      continue;
    }
    if (item === 'MAILBOXID') {
      // The store's mailbox id, the same one JMAP calls Mailbox.id (RFC 8474 §4).
      values.push(`MAILBOXID (${st.id})`);
      continue;
    }
    let v: number;
    switch (item) {
      case 'MESSAGES':
        v = st.totalEmails;
        break;
      case 'RECENT':
        v = (await s.store.peekRecent(account, mailboxId)).length;
        break;
      case 'UIDNEXT':
        v = st.uidNext;
        break;
      case 'UIDVALIDITY':
        v = st.uidValidity;
        break;
      case 'UNSEEN':
        v = st.unseen;
        break;
      case 'SIZE':
        v = st.size;
        break;
      case 'HIGHESTMODSEQ':
        v = st.highestModSeq;
        break;
      default: {
        const snap = await s.store.snapshot(account, mailboxId);
        v = snap.messages.filter((m) => m.flags.some((f) => f.toLowerCase() === '\\deleted')).length;
      }
    }
    values.push(`${item} ${v}`);
  }
  return flat(['STATUS ', encodeName(s, displayName(s, account, st.path)), ` (${values.join(' ')})`]);
}

export const status: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const name = mailboxArg(s, args);
    const items = parseStatusItems(args.list('status items'));
    args.end();
    const box = await findMailbox(s, name);
    s.untagged(await statusLine(s, box.owner, box.id, items));
  },
};
