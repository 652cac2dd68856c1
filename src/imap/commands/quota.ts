// GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208). One quota root ("") per account covering all of
// its mailboxes; resources without a limit are not listed. Limits are set by the administrator.
import type { CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import { ImapNoError } from '../proto/errors.js';
import { mailboxArg, findMailbox, encodeName, displayName } from '../mailbox-name.js';

async function quotaLine(s: ImapSession): Promise<string> {
  const q = await s.store.getQuota(s.account!);
  const res: string[] = [];
  if (q.storage.limit > 0) res.push(`STORAGE ${Math.ceil(q.storage.used / 1024)} ${Math.floor(q.storage.limit / 1024)}`);
  if (q.messages.limit > 0) res.push(`MESSAGE ${q.messages.used} ${q.messages.limit}`);
  return `QUOTA "" (${res.join(' ')})`;
}

export const getquota: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const root = args.astring('quota root');
    args.end();
    if (root !== '') throw new ImapNoError('No such quota root', 'NONEXISTENT');
    s.untagged(await quotaLine(s));
  },
};

export const getquotaroot: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const name = mailboxArg(s, args);
    args.end();
    const box = await findMailbox(s, name);
    // Another user's mailbox counts against that user's quota, which is not this user's to see.
    if (box.owner !== s.account) {
      s.untagged('QUOTAROOT ', encodeName(s, displayName(s, box.owner, box.path)));
      return;
    }
    s.untagged('QUOTAROOT ', encodeName(s, box.path), ' ""');
    s.untagged(await quotaLine(s));
  },
};

export const setquota: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run() {
    throw new ImapNoError('Quotas are set by the administrator', 'NOPERM');
  },
};
