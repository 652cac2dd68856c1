// Plain values every facet of the store uses: JSON, mailbox roles, UID sets, byte ranges and the
// options every mutating call accepts.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** JMAP mailbox roles created with the account, plus any RFC 8457/6154 role a client may set. */
export type MailboxRole =
  | 'inbox'
  | 'drafts'
  | 'sent'
  | 'trash'
  | 'junk'
  | 'archive'
  | 'all'
  | 'flagged'
  | 'important'
  | 'snoozed';

/** The hierarchy delimiter, fixed. */
export const MAILBOX_DELIMITER = '/';

/**
 * A set of UIDs: single UIDs and inclusive ranges [from, to] (from <= to). An IMAP `*` is passed as
 * 4294967295 (or any number >= UIDNEXT): ranges are clipped to the UIDs that exist.
 */
export type UidSet = ReadonlyArray<number | readonly [number, number]>;

/** Half-open byte range [start, end) for partial reads (IMAP BODY[]<start.len>, JMAP blob ranges). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Options every mutating call accepts. */
export interface WriteOptions {
  /** Copied into published events so a session can recognise its own changes. */
  origin?: string;
}
