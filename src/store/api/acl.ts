// Sharing: access rights per mailbox and identifier (RFC 4314), the mailboxes shared with a user,
// delegation grants (an owner lets a delegate log in as the owner), and the rights-checked view of
// the store that every protocol session works through (actingAs).
//
// Model decisions:
//  - Identifiers are canonical user names, "anyone" (every authenticated user) or "$group" (the
//    members of a group of the users repository, Dovecot's spelling). The owner of a mailbox always
//    holds every right (ALL_RIGHTS) and has no ACL entry; the rights of a user are the union of its
//    own entry, "anyone"'s and those of every group it is in.
//  - The store knows no users repository: whoever acts names the actor's groups (Actor.groups),
//    resolved by the protocol session from the repository, again on every command or request, so a
//    user taken out of a group loses that group's rights as with a revoked right.
//  - Rights are kept with the mailbox: renaming keeps them, deleting the mailbox drops them.
//  - Every change publishes a `rights-changed` event on the owner's account, so sessions that have
//    the mailbox open re-check their access at once.
import type { WriteOptions } from './values.js';
import type { Mailbox } from './mailboxes.js';
import type { MailStore } from './store.js';

export interface AclEntry {
  identifier: string;
  /** Canonical rights letters (ALL_RIGHTS order). */
  rights: string;
}

/** Who is acting: the logged-in user (for a delegated login, the user being acted as). */
export interface Actor {
  user: string;
  /** The groups the user is in (names without "$"), as the users repository answered; none when absent. */
  groups?: readonly string[];
}

export interface SharedMailbox {
  owner: string;
  mailbox: Mailbox;
  /** The actor's rights on it (always include "l"). */
  rights: string;
}

/** A rights change names who made it, for the share notification (RFC 9670 §4); default: the owner. */
export interface AclWriteOptions extends WriteOptions {
  changedBy?: string;
}

export interface AclStore {
  /**
   * Replaces the rights of `identifier` on the owner's mailbox (RFC 4314 SETACL); empty rights
   * remove the entry. Throws NoSuchMailboxError, InvalidArgumentError for the owner's own name (the
   * owner's rights are fixed).
   */
  setRights(owner: string, mailboxId: string, identifier: string, rights: string, options?: AclWriteOptions): Promise<void>;
  /** Removes the entry (DELETEACL); false when there was none. */
  deleteRights(owner: string, mailboxId: string, identifier: string, options?: AclWriteOptions): Promise<boolean>;
  /** The ACL of the mailbox, the owner first (with ALL_RIGHTS), then the entries by identifier. */
  listRights(owner: string, mailboxId: string): Promise<AclEntry[]>;
  /** The rights `actor` holds on the owner's mailbox ('' when none or no such mailbox). */
  myRights(actor: Actor, owner: string, mailboxId: string): Promise<string>;
  /** Mailboxes of other accounts the actor may look up ("l"), by owner then path. */
  sharedWith(actor: Actor): Promise<SharedMailbox[]>;

  /** Lets `delegate` log in as `owner` (SASL authorization identity). Idempotent. */
  grantDelegation(owner: string, delegate: string): Promise<void>;
  /** False when there was no such grant. */
  revokeDelegation(owner: string, delegate: string): Promise<boolean>;
  /** Whether `delegate` may log in as `owner`. */
  mayActAs(delegate: string, owner: string): Promise<boolean>;
  /** The users who may log in as `owner`, sorted. */
  listDelegates(owner: string): Promise<string[]>;

  /**
   * The store as `actor` may use it: calls on the actor's own account pass through; calls on another
   * account are checked against the actor's rights on the mailbox concerned, in the same
   * synchronous step as (for writes: inside the transaction of) the operation, so a concurrent
   * revocation either happens before (refused) or after (the operation completed while allowed).
   * A mailbox without "l"/"r" answers exactly as a missing one (null, NoSuchMailboxError); a
   * visible mailbox without the needed right throws NoPermissionError. Account-wide operations on
   * another account (quota, settings, blobs, JMAP queries and changes, account creation) are
   * refused with ForbiddenError.
   */
  actingAs(actor: Actor): MailStore;
}
