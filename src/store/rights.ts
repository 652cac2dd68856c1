// Mailbox access rights, RFC 4314 §2.1: one letter per right. Pure helpers shared by the store (which
// enforces them) and the protocol adapters (which parse and print them).
import { InvalidArgumentError, NoPermissionError, NoSuchMailboxError } from './errors.js';
import type { MailboxReach } from './api/mailboxes.js';
//   l lookup (visible to LIST)      r read (SELECT, FETCH, SEARCH, COPY from)
//   s keep \Seen                    w write other flags and keywords
//   i insert (APPEND, COPY into)    p post (send mail to the submission address; kept, not used)
//   k create child mailboxes        x delete the mailbox       t set/clear \Deleted
//   e expunge                       a administer (SETACL, DELETEACL, GETACL, LISTRIGHTS)

/** Every right this server implements, in RFC 4314 order. The owner always holds all of them. */
export const ALL_RIGHTS = 'lrswipkxtea';

/** The identifier that stands for every authenticated user (RFC 4314 §2). */
export const ANYONE = 'anyone';

/**
 * The prefix of a group identifier, as Dovecot spells it over IMAP (`$support` for the group
 * "support"); RFC 4314 §2 leaves group syntax to the server. Users are named by address or bare
 * name, neither starts with "$", so the two kinds of identifier never collide.
 */
export const GROUP_PREFIX = '$';

/** The ACL identifier of a group. */
export function groupIdentifier(group: string): string {
  return GROUP_PREFIX + group;
}

/**
 * Every identifier whose rights the actor holds: its own name, "anyone", and each of its groups.
 * Effective rights are the union of their entries (RFC 4314 §2: rights of all matching identifiers
 * are combined).
 */
export function actorIdentifiers(actor: { user: string; groups?: readonly string[] }): string[] {
  // A user whose name starts with "$" (should a repository allow one) is not the group so spelled.
  const own = actor.user.startsWith(GROUP_PREFIX) ? [] : [actor.user];
  return [...new Set([...own, ANYONE, ...(actor.groups ?? []).map(groupIdentifier)])];
}

/** `?, ?, …` for an SQL IN list of `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Rights granted together (RFC 4314 §2.1.1 and LISTRIGHTS): "l" and "r" are independent, the others
 * too, so each letter is its own group. Advertised as `RIGHTS=texk`: t, e, x and k are the split of
 * RFC 2086's "d" and "c".
 */
export const RIGHTS_CAPABILITY = 'RIGHTS=texk';

/**
 * Parses a rights string as sent by a client into the canonical form (ALL_RIGHTS order, no
 * repeats). The obsolete "c" means "k" and "d" means "x t e" (RFC 4314 §2.1.1). An unknown letter
 * is refused (§3.1: the server MUST reject it with BAD).
 */
export function parseRights(text: string): string {
  const set = new Set<string>();
  for (const ch of text) {
    if (ch === 'c') set.add('k');
    else if (ch === 'd') for (const r of 'xte') set.add(r);
    else if (ALL_RIGHTS.includes(ch)) set.add(ch);
    else throw new InvalidArgumentError(`Unknown right "${ch.slice(0, 4)}"`);
  }
  return canonicalRights(set);
}

/** The letters of `rights` in ALL_RIGHTS order, each once. */
export function canonicalRights(rights: Iterable<string>): string {
  const set = new Set(rights);
  return [...ALL_RIGHTS].filter((r) => set.has(r)).join('');
}

export function hasRights(held: string, needed: string): boolean {
  for (const r of needed) if (!held.includes(r)) return false;
  return true;
}

/** RFC 4314 §4: \Seen needs "s", \Deleted needs "t", every other flag or keyword "w". */
export function rightsForFlags(flags: readonly string[]): string {
  const set = new Set<string>();
  for (const f of flags) {
    const l = f.toLowerCase();
    if (l === '\\seen' || l === '$seen') set.add('s');
    else if (l === '\\deleted') set.add('t');
    else set.add('w');
  }
  return canonicalRights(set);
}

/**
 * Annotations (RFC 5464 §3.3) on another user's mailbox: reading any, and writing one's own /private
 * entries, needs "l" and "r" (seeing the mailbox and its content); /shared entries are one value for
 * every reader, so writing them also needs "w", the right to change what others see (RFC 4314 §2.1).
 */
export function rightsForMetadata(written: readonly { name: string }[] = []): string {
  return written.some((c) => c.name.toLowerCase().startsWith('/shared')) ? 'lrw' : 'lr';
}

/**
 * IMAP REPLACE (RFC 8508 §3.4) into another user's mailbox: the replaced message is removed as by
 * STORE +FLAGS \Deleted and EXPUNGE, so its mailbox needs "t" and "e" (the target's "i" is APPEND's).
 */
export const REPLACED_RIGHTS = 'te';

/** A mailbox is visible to a user (listed, and its existence admitted) with "l" or "r". */
export function isVisible(rights: string): boolean {
  return rights.includes('l') || rights.includes('r');
}

/**
 * The access decision on rights already looked up (shared by the engines' checks): returns them when
 * they include `needed`, seen or not (RFC 4314 rights are independent: "i" alone makes a drop box
 * that takes APPEND and COPY but is never listed or selected). Otherwise a mailbox the actor can
 * neither see nor holds any of the needed rights on throws NoSuchMailboxError exactly as a missing one
 * does; one whose existence the actor knows, NoPermissionError naming the missing letters.
 */
export function demandRights(rights: string, needed: string, mailboxId: string): string {
  // Needing no right at all is needing to see it.
  const known = isVisible(rights) || [...needed].some((r) => rights.includes(r));
  if (!known) throw new NoSuchMailboxError(mailboxId);
  if (!hasRights(rights, needed)) throw new NoPermissionError(needed.split('').filter((r) => !rights.includes(r)).join(''));
  return rights;
}

/**
 * Whether a lookup reaches a mailbox with these rights: visible, or, for `reach` 'insert' (APPEND,
 * COPY and MOVE targets), one the actor may only insert into.
 */
export function isReachable(rights: string, reach?: MailboxReach): boolean {
  return isVisible(rights) || (reach === 'insert' && rights.includes('i'));
}

/**
 * An ACL identifier the owner may set rights for: not the owner, no negative rights, printable; a
 * group identifier names a group ("$" alone names none).
 */
export function checkAclIdentifier(owner: string, identifier: string): void {
  if (identifier === '' || identifier.length > 320 || /[\x00-\x20\x7f]/.test(identifier)) {
    throw new InvalidArgumentError('invalid identifier', 'identifier');
  }
  if (identifier === GROUP_PREFIX) throw new InvalidArgumentError('a group identifier needs a group name after "$"', 'identifier');
  if (identifier === owner) throw new InvalidArgumentError("the owner's rights cannot be changed", 'identifier');
  if (identifier.startsWith('-')) throw new InvalidArgumentError('negative rights are not supported', 'identifier');
}
