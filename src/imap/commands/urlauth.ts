// GENURLAUTH, URLFETCH and RESETKEY (RFC 4467).
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { imapString, type Wire } from '../proto/serialize.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { fetchAuthUrl, generateToken, ownerAccount, parseAuthUrl, resetKey } from '../urlauth.js';

export const genurlauth: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const out: Wire[] = [];
    if (args.remaining === 0) throw new ImapSyntaxError('GENURLAUTH needs a URL and a mechanism');
    while (args.remaining > 0) {
      const url = args.astring('URL');
      const mech = args.atom('mechanism').toUpperCase();
      if (mech !== 'INTERNAL') throw new ImapNoError('Only the INTERNAL mechanism is supported', 'CANNOT');
      const u = parseAuthUrl(url);
      if (!u || u.token) throw new ImapSyntaxError('Not a URLAUTH-able IMAP URL');
      if ((await ownerAccount(s, u)) !== s.account) throw new ImapNoError('The URL does not name one of your mailboxes', 'CANNOT');
      const token = await generateToken(s, u);
      if (!token) throw new ImapNoError('Mailbox does not exist', 'NONEXISTENT');
      out.push(' ', imapString(`${url}:INTERNAL:${token}`));
    }
    s.untagged('GENURLAUTH', ...out);
  },
};

export const urlfetch: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) throw new ImapSyntaxError('URLFETCH needs a URL');
    const out: Wire[] = [];
    while (args.remaining > 0) {
      const url = args.astring('URL');
      const data = await fetchAuthUrl(s, url);
      out.push(' ', imapString(url), ' ', data ? imapString(data, { literal: true }) : 'NIL');
    }
    s.untagged('URLFETCH', ...out);
  },
};

export const resetkey: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) {
      for (const b of await s.store.listMailboxes(s.account!)) await resetKey(s, s.account!, b.id);
      return;
    }
    const name = mailboxArg(s, args);
    while (args.remaining > 0) if (args.atom('mechanism').toUpperCase() !== 'INTERNAL') throw new ImapNoError('Unknown mechanism', 'CANNOT');
    const box = await findMailbox(s, name);
    await resetKey(s, s.account!, box.id);
  },
};
