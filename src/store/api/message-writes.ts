// Writing messages: append (IMAP APPEND, SMTP delivery, JMAP import), IMAP COPY/MOVE/STORE/EXPUNGE,
// and JMAP Email/set keyword and mailboxIds patches and destroy.
import type { UidSet, WriteOptions } from './values.js';
import type { MessageState } from './message-reads.js';
import type { SpooledMessage } from '../spool/spooled.js';

/** A blob already in the store that the account may read: JMAP Email/import of an upload. */
export interface StoredBlob {
  storedBlob: string;
  /**
   * The account whose blob it is when not the appending one: set only by the rights-checked views
   * (SharedAccountView.actorSources) for an actor's own upload appended to another owner's mailbox;
   * the store checks that account may read the blob, in the append's transaction.
   */
  of?: string;
}

/**
 * A message to store: bytes in memory (small internal callers: JMAP Email/set, DSNs, imports), a
 * finished spool file (what arrived over the network: SMTP, IMAP APPEND, JMAP upload), taken by
 * rename, or a blob the account already has. Spooled and stored ones are read back for parsing only
 * through the process-wide ingest gate (src/store/spool/ingest-gate.ts).
 */
export type MessageSource = Buffer | SpooledMessage | StoredBlob;

export interface AppendInput {
  /** Target mailboxes (at least one). IMAP APPEND: one; JMAP Email/import: mailboxIds. */
  mailboxIds: string[];
  /** The message, stored byte-exact. */
  bytes: MessageSource;
  /** IMAP flags (`\Seen`, `$Forwarded`…); ignored when `keywords` is given. */
  flags?: string[];
  /** JMAP keywords (`$seen`…). */
  keywords?: string[];
  /** INTERNALDATE / receivedAt; default now. */
  receivedAt?: Date;
}

export interface AppendOptions extends WriteOptions {
  /** True for SMTP/LMTP delivery: changes the JMAP EmailDelivery state (push "new mail"). */
  delivery?: boolean;
  /**
   * IMAP REPLACE (RFC 8508): this membership is removed in the same transaction as the append
   * (whether or not it carries \Deleted); nothing is removed if it is already gone.
   */
  replaces?: { mailboxId: string; uid: number };
  /**
   * IMAP \Recent (RFC 3501 §2.3.2): the appending session has this mailbox selected and would claim
   * the new messages right after the append (claimRecent). A store may claim them in the append's
   * own transaction instead, saving that write, when no earlier message of the mailbox is still
   * unclaimed (so the claim is exactly the appended UIDs); it then marks their placements `recent`.
   * A store that does not leaves the claim to claimRecent, with the same outcome.
   */
  claimRecentIn?: string;
}

export interface Placement {
  mailboxId: string;
  uidValidity: number;
  uid: number;
  modseq: number;
  /** Claimed as \Recent for the appending session (AppendOptions.claimRecentIn). */
  recent?: true;
}

export interface AppendResult {
  emailId: string;
  blobId: string;
  threadId: string;
  size: number;
  receivedAt: Date;
  /** One per target mailbox, in the order of AppendInput.mailboxIds (APPENDUID). */
  placements: Placement[];
}

/** Result of IMAP COPY/MOVE (COPYUID): source UIDs and the UIDs they got, in source order. */
export interface CopyResult {
  uidValidity: number;
  sourceUids: number[];
  destinationUids: number[];
  /** For MOVE: the source mailbox's HIGHESTMODSEQ after the expunge. */
  sourceModSeq?: number;
}

export type FlagMode = 'set' | 'add' | 'remove';

export interface StoreFlagsRequest extends WriteOptions {
  mode: FlagMode;
  /** IMAP form. */
  flags: string[];
  /** CONDSTORE UNCHANGEDSINCE: messages whose MODSEQ is greater are left alone and reported. */
  unchangedSince?: number;
}

export interface StoreFlagsResult {
  /** Every targeted message that exists, with its state after the call. */
  messages: Array<MessageState & { changed: boolean }>;
  /** UNCHANGEDSINCE failures (RFC 7162 MODIFIED set), ascending. */
  modified: number[];
  /** Mailbox HIGHESTMODSEQ after the call. */
  highestModSeq: number;
}

/** JMAP patch of a set: either a full replacement or additions/removals. */
export type SetPatch = { set: string[] } | { add?: string[]; remove?: string[] };

export interface EmailUpdate {
  emailId: string;
  /** JMAP keywords. */
  keywords?: SetPatch;
  /** Mailbox ids; an email must stay in at least one mailbox. */
  mailboxIds?: SetPatch;
}

export type EmailSetErrorType = 'notFound' | 'invalidProperties' | 'overQuota' | 'tooManyMailboxes' | 'forbidden';

export interface EmailUpdateResult {
  updated: string[];
  /** properties: the invalid properties of an invalidProperties failure (RFC 8620 §5.3). */
  notUpdated: Array<{ emailId: string; type: EmailSetErrorType; description: string; properties?: string[] }>;
  /** Email state after the call. */
  newState: string;
  oldState: string;
}

export interface DestroyResult {
  destroyed: string[];
  notDestroyed: Array<{ id: string; type: 'notFound' | 'forbidden'; description: string }>;
  newState: string;
  oldState: string;
}

export interface MessageWriter {
  /** Stores bytes (fsynced) and places the email in every target mailbox. Throws OverQuotaError. */
  append(account: string, input: AppendInput, options?: AppendOptions): Promise<AppendResult>;
  /** IMAP MULTIAPPEND: all or nothing. */
  appendMany(account: string, inputs: AppendInput[], options?: AppendOptions): Promise<AppendResult[]>;
  /** IMAP COPY (UIDPLUS COPYUID). Source UIDs that do not exist are skipped. Throws OverQuotaError. */
  copy(account: string, fromMailboxId: string, uids: UidSet, toMailboxId: string, options?: WriteOptions): Promise<CopyResult>;
  /** IMAP MOVE: copy + expunge from the source in one transaction. */
  move(account: string, fromMailboxId: string, uids: UidSet, toMailboxId: string, options?: WriteOptions): Promise<CopyResult>;
  /** IMAP STORE/UID STORE (with CONDSTORE UNCHANGEDSINCE). */
  storeFlags(account: string, mailboxId: string, uids: UidSet, request: StoreFlagsRequest): Promise<StoreFlagsResult>;
  /**
   * IMAP EXPUNGE / UID EXPUNGE: removes the memberships in `uids` (all when omitted) that carry
   * \Deleted. Emails left in no mailbox are destroyed. Returns expunged UIDs ascending.
   */
  expunge(account: string, mailboxId: string, uids?: UidSet, options?: WriteOptions): Promise<{ uids: number[]; highestModSeq: number }>;
  /** JMAP Email/set update: keywords and mailboxIds patches. Throws StateMismatchError on ifInState. */
  updateEmails(account: string, updates: EmailUpdate[], options?: WriteOptions & { ifInState?: string }): Promise<EmailUpdateResult>;
  /** JMAP Email/set destroy: removes the email from every mailbox. */
  destroyEmails(account: string, emailIds: string[], options?: WriteOptions & { ifInState?: string }): Promise<DestroyResult>;
}
