// Search: IMAP SEARCH/SORT inside one mailbox and JMAP Email/query over the account, both on one
// criteria AST.
import type { UidSet } from './values.js';

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
  /** IMAP SAVEDBEFORE/SAVEDON/SAVEDSINCE (RFC 8514): when the message was put in the searched mailbox. */
  | { kind: 'savedAt'; before?: Date; notBefore?: Date }
  /** Strict comparisons: larger → size > n (IMAP LARGER); JMAP minSize n → larger n-1. */
  | { kind: 'size'; larger?: number; smaller?: number }
  /** IMAP HEADER / JMAP header: field present, and contains `value` when non-empty. */
  | { kind: 'header'; name: string; value: string }
  /** from/to/cc/bcc/subject: header (decoded, addresses and names); body: decoded text parts;
   *  text: every header + body (IMAP TEXT, RFC 9051 §6.4.4); fieldsAndBody: from, to, cc, bcc,
   *  subject + body (JMAP text, RFC 8621 §4.4.1), not the other headers, whose Message-ID,
   *  boundaries and signatures hold short terms ("au", "de") at random. */
  | { kind: 'text'; field: 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body' | 'text' | 'fieldsAndBody'; value: string }
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

export interface SearchStore {
  searchMailbox(account: string, mailboxId: string, request: MailboxSearchRequest): Promise<MailboxSearchResult>;
  queryEmails(account: string, request: EmailQueryRequest): Promise<EmailQueryResult>;
}
