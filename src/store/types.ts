// The mailbox store contract, shared by IMAP, SMTP delivery and JMAP. One implementation today
// (SQLite + blob files, ./sqlite/), a PostgreSQL one later: every method is async and every value is
// plain data so consumers never depend on the backend.
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
import type { EventBus } from '../events/types.js';
import type { Logger } from '../log/logger.js';

export * from './errors.js';

// ---------------------------------------------------------------------------------------------
// Basic values

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

// ---------------------------------------------------------------------------------------------
// Accounts, mailboxes

export interface Account {
  /** = user name = JMAP accountId. */
  id: string;
  createdAt: Date;
}

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

// ---------------------------------------------------------------------------------------------
// Parsed cache (computed once at delivery): the message model lives in src/mime.

import type { Envelope, ParsedMessage } from '../mime/types.js';
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

// ---------------------------------------------------------------------------------------------
// Messages

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

export interface AppendInput {
  /** Target mailboxes (at least one). IMAP APPEND: one; JMAP Email/import: mailboxIds. */
  mailboxIds: string[];
  /** The message, stored byte-exact. */
  bytes: Buffer;
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
}

export interface Placement {
  mailboxId: string;
  uidValidity: number;
  uid: number;
  modseq: number;
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

export type EmailSetErrorType = 'notFound' | 'invalidProperties' | 'overQuota' | 'tooManyMailboxes';

export interface EmailUpdateResult {
  updated: string[];
  notUpdated: Array<{ emailId: string; type: EmailSetErrorType; description: string }>;
  /** Email state after the call. */
  newState: string;
  oldState: string;
}

export interface DestroyResult {
  destroyed: string[];
  notDestroyed: Array<{ id: string; type: 'notFound'; description: string }>;
  newState: string;
  oldState: string;
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

// ---------------------------------------------------------------------------------------------
// Search and sort

/**
 * Search criteria AST for both IMAP SEARCH and JMAP Email/query filters. Text matches are
 * case-insensitive substring (IMAP) / word-prefix (FTS) matches on decoded text.
 * Mapping notes:
 *   IMAP BEFORE d        → { kind: 'receivedAt', before: d 00:00 }
 *   IMAP ON d            → { kind: 'receivedAt', notBefore: d 00:00, before: d+1 00:00 }
 *   IMAP SINCE d         → { kind: 'receivedAt', notBefore: d 00:00 }
 *   SENTBEFORE/SENTON/SENTSINCE → kind 'sentAt' likewise, compared by calendar day: the day the
 *                          Date header names in its own zone (ParsedMessage.sentDay) against the
 *                          UTC day of `before`/`notBefore` (messages without Date use receivedAt's)
 *   JMAP before/after    → receivedAt before / notBefore
 *   IMAP NEW = RECENT UNSEEN: the session combines its recent UIDs (kind 'uid') with 'flag'.
 *   IMAP sequence sets   → the session maps them to kind 'uid'.
 */
export type SearchCriteria =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'and'; of: SearchCriteria[] }
  | { kind: 'or'; of: SearchCriteria[] }
  | { kind: 'not'; of: SearchCriteria }
  /** IMAP flag (`\Seen`, `$Forwarded`) or JMAP keyword (`$seen`): case-insensitive, both forms. */
  | { kind: 'flag'; flag: string; present: boolean }
  | { kind: 'uid'; uids: UidSet }
  | { kind: 'emailIds'; ids: string[] }
  | { kind: 'receivedAt'; before?: Date; notBefore?: Date }
  | { kind: 'sentAt'; before?: Date; notBefore?: Date }
  /** Strict comparisons: larger → size > n (IMAP LARGER); JMAP minSize n → larger n-1. */
  | { kind: 'size'; larger?: number; smaller?: number }
  /** IMAP HEADER / JMAP header: field present, and contains `value` when non-empty. */
  | { kind: 'header'; name: string; value: string }
  /** from/to/cc/bcc/subject: header (decoded, addresses and names); body: decoded text parts;
   *  text: headers + body (IMAP TEXT, JMAP text). */
  | { kind: 'text'; field: 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body' | 'text'; value: string }
  /** CONDSTORE MODSEQ n: messages with MODSEQ >= n (in the searched mailbox). */
  | { kind: 'modseq'; atLeast: number }
  /** JMAP inMailbox. */
  | { kind: 'inMailbox'; mailboxId: string }
  /** JMAP inMailboxOtherThan: in at least one mailbox not listed. */
  | { kind: 'inMailboxOtherThan'; mailboxIds: string[] }
  | { kind: 'threadKeyword'; keyword: string; mode: 'all' | 'some' | 'none' }
  | { kind: 'hasAttachment'; value: boolean }
  | { kind: 'threadIds'; ids: string[] };

/**
 * Sort keys. IMAP SORT: ARRIVAL→receivedAt, DATE→sentAt, FROM→from, TO→to, CC→cc, SUBJECT→subject
 * (base subject, RFC 5256), SIZE→size, DISPLAYFROM→displayFrom, DISPLAYTO→displayTo. JMAP: receivedAt,
 * sentAt, size, subject, from→displayFrom, to→displayTo, hasKeyword, allInThreadHaveKeyword,
 * someInThreadHaveKeyword. from/to/cc compare the first address's local part (RFC 5256); display*
 * compare the display name, or the address when there is none. Ties break by ascending UID
 * (mailbox searches) or ascending email id (account queries).
 */
export type SortKey =
  | 'receivedAt'
  | 'sentAt'
  | 'size'
  | 'subject'
  | 'from'
  | 'to'
  | 'cc'
  | 'displayFrom'
  | 'displayTo'
  | 'uid'
  | 'hasKeyword'
  | 'allInThreadHaveKeyword'
  | 'someInThreadHaveKeyword';

export interface SortComparator {
  key: SortKey;
  descending?: boolean;
  /** For the *Keyword keys. */
  keyword?: string;
}

/** IMAP SEARCH/SORT inside one mailbox. */
export interface MailboxSearchRequest {
  criteria: SearchCriteria;
  /** Omitted: ascending UID. */
  sort?: SortComparator[];
}

export interface MailboxSearchResult {
  /** In the requested order. */
  uids: number[];
  /** Largest MODSEQ among matches (ESEARCH/SEARCH MODSEQ), 0 when none. */
  highestModSeq: number;
}

/** JMAP Email/query over the whole account. */
export interface EmailQueryRequest {
  filter: SearchCriteria;
  sort?: SortComparator[];
  collapseThreads?: boolean;
  /** Index of the first result; negative counts from the end. */
  position?: number;
  anchor?: string;
  anchorOffset?: number;
  /** Maximum ids returned; omitted = all. */
  limit?: number;
  /**
   * false lets the store stop reading once position+limit ids are found (JMAP calculateTotal
   * false, the default in RFC 8620): `total` is then only a lower bound. Default true.
   */
  calculateTotal?: boolean;
}

export interface EmailQueryResult {
  ids: string[];
  /** Position of ids[0] in the full result. */
  position: number;
  total: number;
  /** Email state the query was computed at (JMAP queryState). */
  queryState: string;
  /** Set when an anchor was given and not found (JMAP anchorNotFound). */
  anchorNotFound?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Threads and changes

export interface ThreadInfo {
  id: string;
  /** Email ids sorted by receivedAt, oldest first (RFC 8621). */
  emailIds: string[];
}

/** JMAP data types with a state string. */
export type StateType = 'Mailbox' | 'Email' | 'Thread' | 'EmailDelivery' | 'Quota';

export interface AccountStates {
  Mailbox: string;
  Email: string;
  Thread: string;
  EmailDelivery: string;
  Quota: string;
}

export interface ChangesResult {
  oldState: string;
  newState: string;
  hasMoreChanges: boolean;
  created: string[];
  updated: string[];
  destroyed: string[];
  /**
   * Mailbox/changes only: when every update is a change of counts, the JMAP `updatedProperties`
   * list (totalEmails, unreadEmails, totalThreads, unreadThreads); otherwise null.
   */
  updatedProperties: string[] | null;
}

// ---------------------------------------------------------------------------------------------
// Quota, blobs, settings

export interface QuotaUsage {
  /** Bytes used / limit (0 = unlimited). */
  storage: { used: number; limit: number };
  /** Emails / limit (0 = unlimited). */
  messages: { used: number; limit: number };
}

export interface QuotaLimits {
  /** Bytes, 0 = unlimited. */
  storage: number;
  /** Emails, 0 = unlimited. */
  messages: number;
}

export interface UploadedBlob {
  blobId: string;
  size: number;
  /** Media type given at upload (JMAP `type`). */
  type: string;
  /** When an unreferenced upload may be garbage-collected. */
  expiresAt: Date;
}

export interface SettingValue {
  value: JsonValue | null;
  /** Changes whenever the value changes (JMAP Identity/VacationResponse state). */
  state: string;
}

// ---------------------------------------------------------------------------------------------
// Outbound queue (SMTP remote delivery, JMAP EmailSubmission)

export type OutboundRecipientStatus = 'pending' | 'delivered' | 'failed';

export interface OutboundRecipient {
  address: string;
  status: OutboundRecipientStatus;
  /** Last SMTP reply or error text for this recipient. */
  lastResponse: string | null;
}

export type OutboundStatus = 'queued' | 'done' | 'canceled';

export interface OutboundItem {
  id: string;
  /** Submitting account (JMAP EmailSubmission), null for relayed mail. */
  account: string | null;
  /** Envelope MAIL FROM ('' for a bounce). */
  sender: string;
  recipients: OutboundRecipient[];
  blobId: string;
  size: number;
  createdAt: Date;
  nextAttemptAt: Date;
  attempts: number;
  lastError: string | null;
  status: OutboundStatus;
  /** Lease holder and expiry while a worker delivers it. */
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Free-form data for the submitter (JMAP identityId, emailId, onSuccess… actions). */
  meta: JsonValue;
}

export interface EnqueueInput {
  account?: string | null;
  sender: string;
  recipients: string[];
  bytes: Buffer;
  /** Default now. */
  nextAttemptAt?: Date;
  meta?: JsonValue;
}

export interface ClaimRequest {
  /** Worker id (host:pid:n). */
  owner: string;
  /** Lease duration; an unfinished item becomes claimable again afterwards. */
  leaseMs: number;
  limit: number;
  /** Default now. */
  now?: Date;
}

export interface DeliveryAttempt {
  /** Outcome per recipient attempted; recipients not listed stay as they are. */
  results: Array<{ address: string; outcome: 'delivered' | 'deferred' | 'failed'; response?: string }>;
  /** When to retry the still-pending recipients; null = give up (pending recipients become failed). */
  nextAttemptAt: Date | null;
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Token revocation registry

export type RevocationKind = 'sid' | 'jti' | 'sub';

// ---------------------------------------------------------------------------------------------
// The store

export interface MailStore {
  // --- accounts
  /** Creates the account and its special-use mailboxes on first call; idempotent and race-free. */
  ensureAccount(account: string): Promise<Account>;
  getAccount(account: string): Promise<Account | null>;
  /** Removes the account, all its mail, settings and uploads. */
  deleteAccount(account: string): Promise<void>;

  // --- mailboxes
  /** All mailboxes of the account, sorted by path. */
  listMailboxes(account: string): Promise<Mailbox[]>;
  getMailbox(account: string, mailboxId: string): Promise<Mailbox | null>;
  /** INBOX matched case-insensitively. */
  findMailboxByPath(account: string, path: string): Promise<Mailbox | null>;
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
  setSubscribed(account: string, mailboxId: string, subscribed: boolean, options?: WriteOptions): Promise<void>;
  /**
   * IMAP SUBSCRIBE (RFC 3501 §6.3.6): any name may be subscribed, whether or not a mailbox has it.
   * Subscribes the mailbox at `path` (as setSubscribed), or else remembers the name: a later
   * createMailbox of that path (or a rename onto it) makes a subscribed mailbox, and deleteMailbox
   * of a subscribed mailbox leaves its name subscribed (RFC 3501 §6.3.4), also for JMAP
   * Mailbox/destroy. INBOX is matched case-insensitively. Throws InvalidNameError for a name no
   * mailbox could have (empty level, control characters, too long).
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

  // --- writing messages
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

  // --- reading messages
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
  getThreads(account: string, threadIds: string[]): Promise<ThreadInfo[]>;

  // --- search
  searchMailbox(account: string, mailboxId: string, request: MailboxSearchRequest): Promise<MailboxSearchResult>;
  queryEmails(account: string, request: EmailQueryRequest): Promise<EmailQueryResult>;

  // --- JMAP state and changes
  getStates(account: string): Promise<AccountStates>;
  /** Throws CannotCalculateChangesError for an unknown or too-old state. maxChanges >= 1. */
  changes(account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges?: number): Promise<ChangesResult>;

  // --- quota
  getQuota(account: string): Promise<QuotaUsage>;
  /** Per-account override of the default limits; null removes the override. */
  setQuota(account: string, limits: QuotaLimits | null): Promise<void>;

  // --- blobs
  /** JMAP upload: stores bytes (fsynced) and makes the blob readable by `account` until it expires. */
  uploadBlob(account: string, bytes: Buffer, type: string): Promise<UploadedBlob>;
  /**
   * Bytes of a blob the account may read: one of its emails, or one of its uploads. Null otherwise,
   * so one account never reads another's data.
   */
  readBlob(account: string, blobId: string, range?: ByteRange): Promise<Buffer | null>;
  /** Deletes expired uploads and blob files nothing refers to. Returns files removed. */
  collectGarbage(now?: Date): Promise<number>;

  // --- settings (JMAP Identity, VacationResponse…)
  getSetting(account: string, key: string): Promise<SettingValue>;
  /** Throws StateMismatchError when ifInState is given and differs. Returns the new state. */
  setSetting(account: string, key: string, value: JsonValue | null, options?: WriteOptions & { ifInState?: string }): Promise<string>;

  // --- outbound queue
  enqueueOutbound(input: EnqueueInput): Promise<OutboundItem>;
  /** Items due (nextAttemptAt <= now, status queued, lease free or expired), leased to `owner`. */
  claimOutbound(request: ClaimRequest): Promise<OutboundItem[]>;
  /** Records an attempt, releases the lease; the item is done when no recipient is pending. */
  recordDeliveryAttempt(id: string, owner: string, attempt: DeliveryAttempt): Promise<OutboundItem>;
  getOutbound(id: string): Promise<OutboundItem | null>;
  listOutbound(filter?: { account?: string; status?: OutboundStatus }): Promise<OutboundItem[]>;
  /** Cancels a queued item not currently leased (JMAP undoStatus canceled); false if too late. */
  cancelOutbound(id: string): Promise<boolean>;
  /** Bytes of a queued message. */
  readOutbound(id: string): Promise<Buffer | null>;

  // --- token revocation registry
  revoke(kind: RevocationKind, value: string, issuer: string, expiresAt: Date): Promise<void>;
  isRevoked(kind: RevocationKind, value: string, issuer: string): Promise<boolean>;
  /** Removes entries whose expiresAt has passed. Returns how many. */
  purgeExpiredRevocations(now?: Date): Promise<number>;

  /** Waits for in-flight writes, closes the database. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Holds store.sqlite and blobs/. Created when missing. */
  dataDir: string;
  events: EventBus;
  logger?: Logger;
  /** Default limits for accounts without an override (0 = unlimited, the default). */
  quota?: Partial<QuotaLimits>;
  /** How long expunge/destroy records are kept for VANISHED and /changes (default 30 days). */
  changeRetentionDays?: number;
  /** Lifetime of unreferenced JMAP uploads (default 24 h). */
  uploadTtlMs?: number;
}
