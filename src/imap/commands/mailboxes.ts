// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 §6.3.3-7; CREATE-SPECIAL-USE RFC 6154 §3).
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { mailboxArg, checkNewName, findMailbox, locate, roleOfSpecialUse, SEPARATOR } from '../mailbox-name.js';
import type { MailboxRole } from '../../store/types.js';

export const create: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const raw = mailboxArg(s, args, 'new');
    let role: MailboxRole | undefined;
    if (args.remaining > 0) {
      const opts = args.list('create parameters');
      for (let i = 0; i < opts.length; i++) {
        const k = tokenText(opts[i]!).toUpperCase();
        if (k !== 'USE') throw new ImapSyntaxError(`Unknown CREATE parameter ${k.slice(0, 30)}`);
        const v = opts[++i];
        if (!v || v.type !== 'list') throw new ImapSyntaxError('USE expects a list');
        if (v.items.length > 1) throw new ImapNoError('Only one special-use attribute per mailbox', 'USEATTR');
        for (const u of v.items) {
          role = roleOfSpecialUse(tokenText(u));
          if (!role) throw new ImapNoError('Unsupported special-use attribute', 'USEATTR');
        }
      }
    }
    args.end();
    const at = locate(s, checkNewName(raw));
    if (!at) throw new ImapNoError('The Other Users namespace holds only users', 'CANNOT');
    const { owner: account, path } = at;
    if (path === 'INBOX') throw new ImapNoError('INBOX already exists', 'ALREADYEXISTS');
    if (role && account !== s.account) throw new ImapNoError("Special use is for one's own mailboxes", 'USEATTR');
    if (role && (await s.store.findMailboxByRole(account, role))) {
      throw new ImapNoError('Another mailbox already has that special use', 'USEATTR');
    }
    // A name subscribed before the mailbox existed makes a subscribed mailbox (the store does that).
    const made = await s.store.createMailbox(account, { path, ...(role ? { role } : {}) }, { origin: s.id });
    // RFC 8474 §4.1: CREATE names the new mailbox's id.
    return { code: `MAILBOXID (${made.id})` };
  },
};

export const del: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const path = mailboxArg(s, args);
    args.end();
    const box = await findMailbox(s, path);
    const account = box.owner;
    if (box.path === 'INBOX') throw new ImapNoError('INBOX cannot be deleted', 'CANNOT');
    if (box.hasChildren) throw new ImapNoError('Mailbox has children; delete them first', 'HASCHILDREN');
    if (s.selected?.mailboxId === box.id) s.unselect();
    // The store keeps the subscription of a subscribed mailbox (RFC 3501 §6.3.4); the \Recent claim
    // goes with the mailbox.
    await s.store.deleteMailbox(account, box.id, { removeEmails: true, origin: s.id });
  },
};

export const rename: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const from = mailboxArg(s, args);
    const to = checkNewName(mailboxArg(s, args, 'new'));
    args.end();
    const box = await findMailbox(s, from);
    const account = box.owner;
    const target = locate(s, to);
    if (target?.owner !== account) throw new ImapNoError('A mailbox can only be renamed within its owner\'s mailboxes', 'CANNOT');
    if (await s.store.findMailboxByPath(account, target.path)) throw new ImapNoError('Target mailbox already exists', 'ALREADYEXISTS');
    if (target.path.startsWith(box.path + SEPARATOR)) throw new ImapNoError('Cannot rename a mailbox into itself', 'CANNOT');
    await s.store.renameMailbox(account, box.id, target.path, { origin: s.id });
  },
};

export const subscribe: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const path = mailboxArg(s, args);
    args.end();
    // Any name may be subscribed (RFC 3501 §6.3.6); the store remembers names without a mailbox.
    await s.store.subscribePath(s.account!, path, { origin: s.id });
  },
};

export const unsubscribe: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const path = mailboxArg(s, args);
    args.end();
    if (!(await s.store.unsubscribePath(s.account!, path, { origin: s.id }))) throw new ImapNoError('Not subscribed', 'NONEXISTENT');
  },
};
