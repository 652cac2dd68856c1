// Reading messages: IMAP mailbox views (snapshot, CONDSTORE/QRESYNC deltas, FETCH metadata), JMAP
// emails and threads, and message bytes.
import type { Envelope, ParsedMessage } from '../../mime/types.js';
import type { ByteRange, UidSet } from './values.js';
import type { ByteSource } from './byte-source.js';
import type { Mailbox } from './mailboxes.js';

/** One message as an IMAP session sees it in a mailbox: cheap, for sequence maps and FLAGS. */
export interface MessageState {
  uid: number;
  emailId: string;
  modseq: number;
  /** IMAP form, including \Deleted when set on this membership. */
  flags: string[];
}

/** Metadata of one message in one mailbox (IMAP FETCH without body bytes). */
export interface MessageMeta extends MessageState {
  mailboxId: string;
  blobId: string;
  threadId: string;
  size: number;
  /** IMAP INTERNALDATE = JMAP receivedAt. */
  receivedAt: Date;
  /** When the message was put in this mailbox (IMAP SAVEDATE, RFC 8514). */
  savedAt: Date;
  /** Present when requested with `parsed: true` (everything). */
  parsed?: ParsedMessage;
  /** Present when requested with `envelope: true`: far cheaper than `parsed` for FETCH ENVELOPE. */
  envelope?: Envelope;
}

/** One email as JMAP sees it (mailbox-independent). */
export interface EmailMeta {
  id: string;
  blobId: string;
  threadId: string;
  size: number;
  receivedAt: Date;
  /** JMAP form, lowercase, without \Deleted. */
  keywords: string[];
  /** Mailboxes holding the email. */
  mailboxIds: string[];
  /** Present when requested with `parsed: true`. */
  parsed?: ParsedMessage;
}

export interface MailboxSnapshot {
  mailbox: Mailbox;
  /** Ascending by UID. */
  messages: MessageState[];
}

export interface ChangedSinceResult {
  /** Messages whose MODSEQ > since (new or flag-changed), ascending by UID. */
  changed: MessageState[];
  /**
   * UIDs expunged with MODSEQ > since, ascending (QRESYNC VANISHED (EARLIER)). When `since` is older
   * than the retained expunge log this is every UID in `uidRange` that no longer exists (a superset,
   * which RFC 7162 §3.2.5.2 allows).
   */
  vanished: number[];
  highestModSeq: number;
}

export interface ThreadInfo {
  id: string;
  /** Email ids sorted by receivedAt, oldest first (RFC 8621). */
  emailIds: string[];
}

export interface MessageReader {
  /** SELECT/EXAMINE: the mailbox and every message's state, consistent with each other. */
  snapshot(account: string, mailboxId: string): Promise<MailboxSnapshot>;
  /**
   * CONDSTORE/QRESYNC and untagged updates: messages changed and UIDs expunged after `sinceModSeq`.
   * `uidRange` limits the vanished superset when the expunge log was purged.
   */
  changedSince(account: string, mailboxId: string, sinceModSeq: number, uidRange?: UidSet): Promise<ChangedSinceResult>;
  /** FETCH metadata by UID, ascending UID; missing UIDs are skipped. */
  getMessages(account: string, mailboxId: string, uids: UidSet, options?: { parsed?: boolean; envelope?: boolean }): Promise<MessageMeta[]>;
  /** JMAP Email/get; unknown ids are omitted from the result. */
  getEmails(account: string, emailIds: string[], options?: { parsed?: boolean }): Promise<EmailMeta[]>;
  /** Message bytes (whole or a range), or null when the account has no such email. */
  readMessage(account: string, emailId: string, range?: ByteRange): Promise<Buffer | null>;
  /**
   * Message bytes (whole or a range) to be read a chunk at a time, for serving them (FETCH, RETR,
   * downloads) without holding them in memory; null when the account has no such email.
   */
  openMessage(account: string, emailId: string, range?: ByteRange): Promise<ByteSource | null>;
  getThreads(account: string, threadIds: string[]): Promise<ThreadInfo[]>;
}
