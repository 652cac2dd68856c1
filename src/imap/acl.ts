// What the ACL commands (RFC 4314: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS) share: reading
// an identifier, finding the mailbox, and the rule that every one of them but MYRIGHTS needs "a".
import type { ImapSession } from './session.js';
import type { Args } from './proto/args.js';
import { ImapNoError } from './proto/errors.js';
import { displayName, encodeName, findMailbox, mailboxArg, type OwnedMailbox } from './mailbox-name.js';
import type { Wire } from './proto/serialize.js';

/**
 * An identifier argument: a user name, "anyone" or a group as "$name" (Dovecot's spelling), compared
 * in canonical lower case.
 */
export function identifierArg(args: Args): string {
  const id = args.strictAstring('identifier');
  if (id === '' || Buffer.byteLength(id) > 320 || /[\x00-\x20\x7f]/.test(id)) throw new ImapNoError('Invalid identifier', 'CANNOT');
  // RFC 4314 §2: "-name" is a negative-rights identifier, which this server does not implement.
  if (id.startsWith('-')) throw new ImapNoError('Negative rights are not supported', 'CANNOT');
  return id.toLowerCase();
}

export interface AclTarget {
  box: OwnedMailbox;
  /** The user's rights on it. */
  rights: string;
  /** The mailbox name as the client sees it, for the untagged reply. */
  name: Wire;
}

/**
 * The mailbox an ACL command names. A mailbox the user cannot see answers NONEXISTENT (through
 * findMailbox); `needed` missing answers NO [NOPERM].
 */
export async function aclTarget(s: ImapSession, args: Args, needed: string): Promise<AclTarget> {
  const box = await findMailbox(s, mailboxArg(s, args));
  const rights = await s.store.myRights(s.actor!, box.owner, box.id);
  if (needed !== '' && !needed.split('').every((r) => rights.includes(r))) throw new ImapNoError('Permission denied', 'NOPERM');
  return { box, rights, name: encodeName(s, displayName(s, box.owner, box.path)) };
}
