// Mailbox names between the wire and the store: modified UTF-7 unless UTF8=ACCEPT is enabled, `/` as
// the hierarchy separator, INBOX case-insensitive.
import type { ImapSession } from './session.js';
import { decodeMutf7, encodeMutf7 } from './proto/mutf7.js';
import { ImapSyntaxError, ImapNoError } from './proto/errors.js';
import { astring, type Wire } from './proto/serialize.js';
import type { Args } from './proto/args.js';
import type { Mailbox, MailboxReach, MailboxRole } from '../store/types.js';

export const SEPARATOR = '/';

/**
 * The "Other Users" namespace (RFC 2342 §5): another user's mailbox `path` is named
 * `Other Users/<owner>/<path>`, as Dovecot and Cyrus name them (with their own prefix word).
 */
export const OTHER_USERS = 'Other Users';

/**
 * The "Shared" namespace (RFC 2342 §6) for public mailboxes that belong to no single user: those of
 * the domain's public account `shared@<domain>` (an ordinary account: an administrator logs in as it
 * to create mailboxes and grant rights with SETACL). Other users see them as `Shared/<path>`, within
 * the rights granted to them or to "anyone", as Dovecot's and Cyrus' public namespaces show them.
 */
export const SHARED_NAMESPACE = 'Shared';
export const PUBLIC_ACCOUNT_LOCALPART = 'shared';

/** The public account of a user's domain (`shared@example.org` for `bob@example.org`). */
export function publicAccountFor(user: string): string {
  const at = user.lastIndexOf('@');
  return at < 0 ? PUBLIC_ACCOUNT_LOCALPART : `${PUBLIC_ACCOUNT_LOCALPART}${user.slice(at)}`;
}

/** A mailbox with the account that owns it (the session's own, or another user's shared one). */
export type OwnedMailbox = Mailbox & { owner: string };

/** Which account and store path a (decoded) IMAP name designates; null for a namespace node. */
export function locate(session: ImapSession, name: string): { owner: string; path: string } | null {
  const pub = session.publicAccount;
  if (pub && (name === SHARED_NAMESPACE || name.startsWith(SHARED_NAMESPACE + SEPARATOR))) {
    const path = name.slice(SHARED_NAMESPACE.length + 1);
    return path.length > 0 ? { owner: pub, path: normalizeName(path) } : null;
  }
  if (name !== OTHER_USERS && !name.startsWith(OTHER_USERS + SEPARATOR)) return { owner: session.account!, path: name };
  const rest = name.slice(OTHER_USERS.length + 1);
  const cut = rest.indexOf(SEPARATOR);
  if (cut <= 0 || cut === rest.length - 1) return null;
  return { owner: rest.slice(0, cut), path: normalizeName(rest.slice(cut + 1)) };
}

/** The IMAP name of an owner's mailbox as this session sees it. */
export function displayName(session: ImapSession, owner: string, path: string): string {
  if (owner === session.account) return path;
  if (owner === session.publicAccount) return `${SHARED_NAMESPACE}${SEPARATOR}${path}`;
  return `${OTHER_USERS}${SEPARATOR}${owner}${SEPARATOR}${path}`;
}

export function normalizeName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.toUpperCase().startsWith('INBOX/')) return 'INBOX' + name.slice(5);
  return name;
}

/** Decodes a mailbox name argument from the wire. */
export function decodeName(session: ImapSession, wire: string): string {
  let name: string;
  if (session.utf8) {
    name = wire;
  } else {
    // A client that has not enabled UTF8=ACCEPT still sometimes sends raw UTF-8: accept it when it is
    // valid, but any `&` must then be valid modified UTF-7.
    name = /[^\x00-\x7f]/.test(wire) && !wire.includes('&') ? wire : decodeMutf7(wire);
  }
  if (/[\x00-\x1f\x7f]/.test(name)) throw new ImapSyntaxError('Mailbox name contains control characters');
  return normalizeName(name);
}

/**
 * A mailbox name argument. Names of new mailboxes (CREATE, RENAME target) must be valid modified
 * UTF-7 or valid UTF-8 (BAD otherwise, never stored with the bad bytes replaced); a name that cannot be decoded cannot name an existing mailbox either, so
 * lookups answer NO [NONEXISTENT] as for any unknown name.
 */
export function mailboxArg(session: ImapSession, args: Args, purpose: 'existing' | 'new' = 'existing'): string {
  if (purpose === 'new') return decodeName(session, args.strictAstring('mailbox name'));
  try {
    return decodeName(session, args.strictAstring('mailbox name'));
  } catch (err) {
    if (err instanceof ImapSyntaxError) throw new ImapNoError('Mailbox does not exist (invalid name)', 'NONEXISTENT');
    throw err;
  }
}

/** Validates a name for CREATE/RENAME targets. */
export function checkNewName(name: string): string {
  let n = name;
  while (n.endsWith(SEPARATOR)) n = n.slice(0, -1);
  if (n.length === 0) throw new ImapNoError('Invalid mailbox name', 'CANNOT');
  if (n.split(SEPARATOR).some((p) => p.length === 0)) throw new ImapNoError('Invalid mailbox name: empty level', 'CANNOT');
  if (/[*%]/.test(n)) throw new ImapNoError('Mailbox names may not contain wildcards', 'CANNOT');
  if (Buffer.byteLength(n) > 1000) throw new ImapNoError('Mailbox name too long', 'LIMIT');
  return normalizeName(n);
}

export function encodeName(session: ImapSession, name: string): Wire {
  return astring(session.utf8 ? name : encodeMutf7(name), { utf8: session.utf8 });
}

/**
 * The mailbox named `name` (own or shared), or NO [NONEXISTENT] (NO [TRYCREATE] for APPEND/COPY/MOVE
 * targets). A shared mailbox the user may not see ("l"/"r") answers exactly as a missing one: the
 * session's store is the rights-checked view. `reach` 'insert' also finds one the user may only
 * insert into (an APPEND, COPY or MOVE target with "i" alone: a drop box).
 */
export async function findMailbox(session: ImapSession, name: string, missingCode = 'NONEXISTENT', reach?: MailboxReach): Promise<OwnedMailbox> {
  const at = locate(session, name);
  const box = at ? await session.store.findMailboxByPath(at.owner, at.path, reach) : null;
  // TRYCREATE only where the client could create the mailbox: in its own namespace.
  if (!box) throw new ImapNoError('Mailbox does not exist', at?.owner === session.account ? missingCode : 'NONEXISTENT');
  return { ...box, owner: at!.owner };
}

const ROLE_ATTRIBUTES: Record<string, string> = {
  drafts: '\\Drafts',
  sent: '\\Sent',
  trash: '\\Trash',
  junk: '\\Junk',
  archive: '\\Archive',
  all: '\\All',
  flagged: '\\Flagged',
  important: '\\Important',
};

export function specialUseOf(role: MailboxRole | null): string | undefined {
  return role ? ROLE_ATTRIBUTES[role] : undefined;
}

export function roleOfSpecialUse(attr: string): MailboxRole | undefined {
  const l = attr.toLowerCase();
  for (const [role, a] of Object.entries(ROLE_ATTRIBUTES)) if (a.toLowerCase() === l) return role as MailboxRole;
  return undefined;
}
