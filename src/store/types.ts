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
//  - Account = canonical user name (the string the auth core puts in Principal.user). JMAP names it
//    by an opaque id derived from it (src/jmap/account-id.ts). ensureAccount() creates it with INBOX, Drafts, Sent, Trash, Junk, Archive; call
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
export * from './api/byte-source.js';
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
export * from './api/push-subscriptions.js';
export * from './api/sieve-scripts.js';
export * from './api/acl.js';
export * from './api/share-notifications.js';
export * from './rights.js';
export * from './api/metadata.js';
export * from './api/store.js';
export type { SpooledMessage } from './spool/spooled.js';

// ---------------------------------------------------------------------------------------------
// Parsed cache (computed once at delivery): the message model lives in src/mime.

export type {
  EmailAddress,
  EmailAddressGroup,
  EnvelopeAddress,
  Envelope,
  RawHeader,
  MimePart,
  ParsedMessage,
  SortKeys,
} from '../mime/types.js';
