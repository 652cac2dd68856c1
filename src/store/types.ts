// The mailbox store contract, shared by IMAP, SMTP delivery and JMAP. One implementation today
// (SQLite + blob files, ./sqlite/), a PostgreSQL one later: every method is async and every value is
// plain data so consumers never depend on the backend.
//
// The API is split by concern, one interface per file under ./api/ (accounts, mailboxes, message
// reads and writes, search, changes, quota, blobs, settings, outbound queue, maintenance) and
// ./revocations.ts; MailStore (./api/store.ts) is their composition. A consumer that needs one or
// two of them depends on those, not on MailStore. This file re-exports them all, with the errors.
//
// Model decisions (read these before using the API):
//  - Account = canonical user name (the string the auth core puts in Principal.user). It is also the
//    JMAP accountId. ensureAccount() creates it with INBOX, Drafts, Sent, Trash, Junk, Archive; call
//    it once per login/delivery. Other calls on an unknown account throw NoSuchMailboxError (lists
//    and look-ups return empty/null instead).
//  - Mailbox path uses the fixed delimiter '/'. INBOX is spelled "INBOX" and matched case-insensitively
//    (IMAP rule); every other name is case-sensitive. Mailbox ids are stable across renames.
//  - An Email (JMAP Email id) may be in several mailboxes; each membership has its own IMAP UID and
//    MODSEQ. Flags/keywords belong to the EMAIL (as in Stalwart and James JMAP): \Seen set in one
//    mailbox shows in every mailbox holding that email, and bumps the MODSEQ of every membership.
//    The single exception is `\Deleted`, which is kept per MEMBERSHIP: it means "expunge me from
//    this mailbox" and has no JMAP equivalent, so it is never shown as a JMAP keyword.
//  - `\Recent` is not a flag in the store. IMAP4rev1 sessions get it from claimRecent(), which hands
//    each newly arrived UID to exactly one session (RFC 3501 §2.3.2); IMAP4rev2 sessions ignore it.
//    The claim is stored with the mailbox, so it survives restarts and is shared by every node;
//    peekRecent() reads it without claiming (EXAMINE, STATUS RECENT).
//  - Subscriptions: a mailbox's `subscribed` flag, plus subscribed names that have no mailbox
//    (IMAP allows subscribing to any name, and DELETE keeps the subscription); see subscribePath().
//  - Flag forms: IMAP calls use IMAP flags (`\Seen`, `\Answered`, `\Flagged`, `\Draft`, `\Deleted`,
//    keywords as typed, case preserved); JMAP calls use JMAP keywords, always lowercase
//    (`$seen`, `$answered`, `$flagged`, `$draft`, keywords lowercased). Matching is case-insensitive.
//    See ./keywords.ts for the conversion functions.
//  - IMAP COPY/MOVE into a mailbox adds a membership of the SAME email (keywords shared); copying into
//    a mailbox that already holds that email creates a new email (same blob, copied keywords), since
//    IMAP requires a second message there.
//  - MODSEQs come from one counter per account, so they increase across all mailboxes; a mailbox's
//    HIGHESTMODSEQ is the largest MODSEQ of any change in it (including expunges). JMAP state strings
//    are derived from the same counter.
//  - Quota usage counts each email once (size and count), however many mailboxes hold it.
//  - Times are JS Dates (UTC instants); sizes are bytes.

export * from './errors.js';
export * from './api/values.js';
export * from './api/accounts.js';
export * from './api/mailboxes.js';
export * from './api/message-reads.js';
export * from './api/message-writes.js';
export * from './api/search.js';
export * from './api/changes.js';
export * from './api/quota.js';
export * from './api/blobs.js';
export * from './api/settings.js';
export * from './api/outbound.js';
export * from './api/maintenance.js';
export * from './revocations.js';
export * from './api/store.js';

// ---------------------------------------------------------------------------------------------
// Parsed cache (computed once at delivery)

/** JMAP EmailAddress. */
export interface EmailAddress {
  name: string | null;
  email: string;
}

/** JMAP EmailAddressGroup (name null = addresses outside any group). */
export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

/**
 * One IMAP ENVELOPE address. RFC 3501 group syntax: a group start is { mailbox: groupName,
 * host: null }, its end { mailbox: null, host: null }.
 */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/**
 * IMAP ENVELOPE fields, ready to serialise. Strings are the raw header values (unfolded, encoded
 * words NOT decoded, as RFC 3501 requires); sender and replyTo already default to `from`.
 * NIL is null.
 */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/** A header field as it appears in the message: name as written, value raw (folded, undecoded). */
export interface RawHeader {
  name: string;
  /** Everything after the colon up to (not including) the final CRLF, folding kept. */
  value: string;
}

/**
 * One MIME part with byte offsets into the message (blob). Offsets let IMAP serve BODY[1.2.MIME],
 * BODY[1.2], BINARY[…] and JMAP serve part blobs without re-parsing.
 */
export interface MimePart {
  /**
   * IMAP section number: "1", "1.2", "2.1.3"… A non-multipart message's root body is "1"; the root
   * of a multipart message and of an embedded message/rfc822 has the id of its container ("" for
   * the top level) since IMAP does not number them separately. Also usable as JMAP partId.
   */
  partId: string;
  /** Offset of the first header byte of this part. */
  headerStart: number;
  /** Offset of the first body byte (after the blank line; = end of headers when there is none). */
  bodyStart: number;
  /** Offset just past the last body byte (the CRLF before a boundary belongs to the boundary). */
  end: number;
  /** Lowercase, e.g. "text". Defaults to text/plain (or message/rfc822 in multipart/digest). */
  type: string;
  /** Lowercase, e.g. "plain". */
  subtype: string;
  /** Content-Type parameters; names lowercase, RFC 2231 continuations joined and decoded. */
  params: Record<string, string>;
  contentId: string | null;
  description: string | null;
  /** Content-Transfer-Encoding as written, lowercase ("7bit" when absent). */
  encoding: string;
  /** Body size in bytes (bodyStart..end). */
  size: number;
  /**
   * Size after undoing the Content-Transfer-Encoding (JMAP EmailBodyPart.size, IMAP BINARY.SIZE),
   * computed once at delivery for leaf parts; absent on multiparts.
   */
  decodedSize?: number;
  /** Line count of the body, for text/* and message/rfc822 (IMAP BODYSTRUCTURE); else null. */
  lines: number | null;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /** This part's header fields, raw. */
  headers: RawHeader[];
  /** Sub-parts of a multipart (empty otherwise). */
  children: MimePart[];
  /** For message/rfc822 (and message/global): the embedded message's envelope and body. */
  message: { envelope: Envelope; body: MimePart } | null;
}

/** Everything computed at delivery that readers need without touching the blob. */
export interface ParsedMessage {
  envelope: Envelope;
  body: MimePart;
  /** Header fields of the message (top level), raw. */
  headers: RawHeader[];
  /** Decoded JMAP forms. */
  subject: string | null;
  from: EmailAddress[] | null;
  sender: EmailAddress[] | null;
  replyTo: EmailAddress[] | null;
  to: EmailAddress[] | null;
  cc: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  /** Message-ID values without angle brackets. */
  messageId: string[] | null;
  inReplyTo: string[] | null;
  references: string[] | null;
  /** Date header, parsed; null when absent or unparseable. */
  sentAt: Date | null;
  /** JMAP preview: up to 256 characters of the text body, whitespace collapsed. */
  preview: string;
  /** JMAP hasAttachment. */
  hasAttachment: boolean;
  /** True when parsing hit malformed input and some fields fell back to defaults. */
  degraded: boolean;
}
