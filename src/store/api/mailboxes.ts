// Mailboxes of an account: the hierarchy (IMAP paths, JMAP name + parentId), subscriptions (also to
// names no mailbox has) and the IMAP \Recent claims kept with each mailbox.
import type { MailboxRole, WriteOptions } from './values.js';

export interface Mailbox {
  /** Stable id (JMAP Mailbox id); unchanged by rename. */
  id: string;
  /** Last path component (JMAP `name`). */
  name: string;
  /** Full `/`-delimited path (IMAP mailbox name, before modified-UTF-7 encoding). */
  path: string;
  parentId: string | null;
  role: MailboxRole | null;
  subscribed: boolean;
  sortOrder: number;
  uidValidity: number;
  uidNext: number;
  highestModSeq: number;
  /** Messages in the mailbox (IMAP EXISTS / MESSAGES, JMAP totalEmails). */
  totalEmails: number;
  /** Messages without \Seen (IMAP STATUS UNSEEN). */
  unseen: number;
  /** Emails with neither $seen nor $draft (JMAP unreadEmails). */
  unreadEmails: number;
  totalThreads: number;
  /** Threads with at least one email in this mailbox that is unread (JMAP definition). */
  unreadThreads: number;
  /** Sum of message sizes (IMAP STATUS SIZE). */
  size: number;
  /** True when some other mailbox has this one as parent (IMAP \HasChildren). */
  hasChildren: boolean;
}

/** IMAP CREATE passes a path (missing parents are created); JMAP passes name + parentId. */
export type CreateMailboxSpec =
  | { path: string; role?: MailboxRole | null; subscribed?: boolean; sortOrder?: number }
  | {
      name: string;
      parentId: string | null;
      role?: MailboxRole | null;
      subscribed?: boolean;
      sortOrder?: number;
    };

/** JMAP Mailbox/set update. Changing name or parentId is a rename (children move along). */
export interface MailboxUpdate {
  name?: string;
  parentId?: string | null;
  role?: MailboxRole | null;
  subscribed?: boolean;
  sortOrder?: number;
}

export interface DeleteMailboxOptions extends WriteOptions {
  /**
   * false (JMAP default): refuse with MailboxNotEmptyError when the mailbox holds messages.
   * true (IMAP DELETE, JMAP onDestroyRemoveEmails): remove the memberships; emails left in no
   * mailbox are destroyed.
   */
  removeEmails: boolean;
}

/** How far a lookup of another owner's mailbox reaches beyond the visible ones (RFC 4314 "i"). */
export type MailboxReach = 'insert';

export interface MailboxStore {
  /** All mailboxes of the account, sorted by path. */
  listMailboxes(account: string): Promise<Mailbox[]>;
  getMailbox(account: string, mailboxId: string): Promise<Mailbox | null>;
  /**
   * INBOX matched case-insensitively. Another owner's mailbox is found when the actor may see it
   * ("l" or "r"), or, with `reach` 'insert', only insert into it ("i" alone: a drop box).
   */
  findMailboxByPath(account: string, path: string, reach?: MailboxReach): Promise<Mailbox | null>;
  findMailboxByRole(account: string, role: MailboxRole): Promise<Mailbox | null>;
  /** Throws MailboxExistsError, NoSuchMailboxError (JMAP parentId), InvalidNameError. */
  createMailbox(account: string, spec: CreateMailboxSpec, options?: WriteOptions): Promise<Mailbox>;
  /**
   * IMAP RENAME: children move along; missing parents of the new path are created. Renaming INBOX
   * moves its messages to a new mailbox and leaves INBOX empty (RFC 3501 §6.3.5). Returns the
   * mailbox now at `newPath`.
   */
  renameMailbox(account: string, mailboxId: string, newPath: string, options?: WriteOptions): Promise<Mailbox>;
  /** JMAP Mailbox/set update (rename via name/parentId, role, subscribed, sortOrder). */
  updateMailbox(account: string, mailboxId: string, update: MailboxUpdate, options?: WriteOptions): Promise<Mailbox>;
  /** Throws ForbiddenError for INBOX, MailboxHasChildrenError, MailboxNotEmptyError. */
  deleteMailbox(account: string, mailboxId: string, options: DeleteMailboxOptions): Promise<void>;
  /**
   * IMAP SUBSCRIBE (RFC 3501 §6.3.6): any name may be subscribed, whether or not a mailbox has it.
   * Subscribes the mailbox at `path` (as updateMailbox with `subscribed` does), or else remembers
   * the name: a later createMailbox of that path (or a rename onto it) makes a subscribed mailbox,
   * and deleteMailbox of a subscribed mailbox leaves its name subscribed (RFC 3501 §6.3.4), also
   * for JMAP Mailbox/destroy. INBOX is matched case-insensitively. Throws InvalidNameError for a
   * name no mailbox could have (empty level, control characters, too long).
   */
  subscribePath(account: string, path: string, options?: WriteOptions): Promise<void>;
  /**
   * IMAP UNSUBSCRIBE: unsubscribes the mailbox at `path` and forgets the name. False when `path` is
   * neither a mailbox nor a subscribed name (nothing changed).
   */
  unsubscribePath(account: string, path: string, options?: WriteOptions): Promise<boolean>;
  /**
   * Subscribed names that have no mailbox, sorted (IMAP LIST (SUBSCRIBED) shows them \NonExistent,
   * LSUB \Noselect). Subscribed mailboxes are the listMailboxes entries with `subscribed`.
   */
  listOrphanSubscriptions(account: string): Promise<string[]>;
  /**
   * IMAP \Recent (RFC 3501 §2.3.2): hands the UIDs that arrived since the last claim to the caller,
   * exactly once across all sessions (and restarts): SELECT and a selected session seeing new
   * messages. `upToUid` (the caller's highest known UID) bounds the claim, so messages the caller has
   * not seen stay recent for whoever sees them first; without it the claim covers every UID
   * assigned so far. Returns the claimed UIDs that exist, ascending.
   */
  claimRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]>;
  /**
   * What claimRecent would return now, without claiming anything: IMAP EXAMINE and STATUS RECENT
   * count recent messages without taking them from the next SELECT.
   */
  peekRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]>;
}
