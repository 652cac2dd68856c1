// Shared state and helpers of the SQLite store modules: the database, blob files, the event bus,
// account/mailbox lookups, modseq allocation and row conversions.
import type { Db } from './db.js';
import type { Statement } from 'better-sqlite3';
import type { BlobFiles } from '../blobs.js';
import type { BusEvent, EventBus } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import type { Mailbox, MailboxRole, MessageState, QuotaLimits } from '../types.js';
import { NoSuchMailboxError } from '../errors.js';
import { decodeId, encodeId } from './ids.js';
import { toImapFlags, type KeywordState } from '../keywords.js';

export interface Ctx {
  db: Db;
  blobs: BlobFiles;
  events: EventBus;
  logger?: Logger;
  defaultQuota: QuotaLimits;
  retentionMs: number;
  uploadTtlMs: number;
  accountIds: Map<string, number>;
  countsCache: Map<number, { modseq: number; counts: MailboxCounts }>;
  /** Prepared statements by SQL text (preparing costs more than running most of them). */
  statements: Map<string, Statement>;
  /**
   * Full-text rows written by the open write transaction, indexed just before it commits. FTS5
   * flushes its pending terms to a new on-disk segment whenever a statement opens a statement
   * journal (any UPDATE that can abort, any savepoint), so indexing each email as it is inserted
   * wrote one tiny segment per message and left FTS5 merging them forever: bulk loads slowed from
   * hundreds to tens of messages per second as the index grew. Indexing the whole transaction's
   * rows together, after every other statement, gives one segment per commit.
   */
  ftsQueue: FtsRow[];
  /** Emails added since the planner statistics were last refreshed (see noteInserted). */
  insertedSinceOptimize: number;
}

/** Emails added between two refreshes of the planner statistics. */
const OPTIMIZE_EVERY = 5_000;

/**
 * Counts added emails and, every OPTIMIZE_EVERY, lets SQLite refresh the statistics of tables that
 * grew tenfold (PRAGMA optimize; bounded by analysis_limit, tens of ms on 100k messages). Without
 * them the planner believes a mailbox holds ten messages and answers UNSEEN or KEYWORD by scanning
 * the whole mailbox instead of reading the flag and keyword indexes.
 */
export function noteInserted(ctx: Ctx, count: number): void {
  ctx.insertedSinceOptimize += count;
  if (ctx.insertedSinceOptimize < OPTIMIZE_EVERY) return;
  ctx.insertedSinceOptimize = 0;
  try {
    ctx.db.pragma('optimize = 0x10002');
  } catch (err) {
    // Statistics only steer the planner; a busy database must not fail the append that got here.
    ctx.logger?.warn({ err }, 'refreshing query planner statistics failed');
  }
}

export interface FtsRow {
  emailId: number;
  /** subject, from_, to_, cc, bcc, headers, body */
  cols: string[];
}

/** A cached prepared statement. A given SQL text is always used in the same mode (plain/pluck/raw). */
export function sql(ctx: Ctx, text: string): Statement {
  let st = ctx.statements.get(text);
  if (!st) {
    if (ctx.statements.size > 1000) ctx.statements.clear();
    st = ctx.db.prepare(text);
    ctx.statements.set(text, st);
  }
  return st;
}

export interface MailboxRow {
  id: number;
  account_id: number;
  path: string;
  parent_id: number | null;
  role: string | null;
  subscribed: number;
  sort_order: number;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  recent_uid: number;
  created_modseq: number;
  updated_modseq: number;
  props_modseq: number;
}

export interface MailboxCounts {
  total: number;
  unseen: number;
  unread: number;
  size: number;
  threads: number;
  unreadThreads: number;
  hasChildren: boolean;
}

export interface EmailRow {
  id: number;
  account_id: number;
  blob: string;
  thread_id: number;
  size: number;
  received_at: number;
  sent_at: number | null;
  flags: number;
  keywords: string;
  created_modseq: number;
  updated_modseq: number;
  has_attachment: number;
  subject_sort: string;
  from_sort: string;
  to_sort: string;
  cc_sort: string;
  display_from: string;
  display_to: string;
}

/**
 * Runs fn in an IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlock).
 * Nested in another write transaction it is a savepoint: its queued full-text rows are dropped
 * with it if it fails.
 */
export function writeTx<T>(ctx: Ctx, fn: () => T): T {
  if (ctx.db.inTransaction) return savepoint(ctx, fn);
  try {
    return ctx.db
      .transaction(() => {
        const result = fn();
        flushFtsQueue(ctx);
        return result;
      })
      .immediate();
  } finally {
    ctx.ftsQueue.length = 0;
  }
}

/** Runs fn in a savepoint of the open transaction; a failure rolls back its writes and FTS rows. */
export function savepoint<T>(ctx: Ctx, fn: () => T): T {
  const mark = ctx.ftsQueue.length;
  try {
    return ctx.db.transaction(fn)();
  } catch (error) {
    ctx.ftsQueue.length = mark;
    throw error;
  }
}

/** Queues an email's search text for the full-text index (written when the transaction commits). */
export function queueFts(ctx: Ctx, emailId: number, cols: string[]): void {
  ctx.ftsQueue.push({ emailId, cols });
}

/**
 * Removes an email from the queue if this transaction queued it. Returns false if it was not
 * queued, in which case the caller deletes it from the index itself.
 */
export function unqueueFts(ctx: Ctx, emailId: number): boolean {
  const i = ctx.ftsQueue.findIndex((r) => r.emailId === emailId);
  if (i < 0) return false;
  ctx.ftsQueue.splice(i, 1);
  return true;
}

function flushFtsQueue(ctx: Ctx): void {
  if (!ctx.ftsQueue.length) return;
  const insert = sql(ctx, 'INSERT INTO email_fts (rowid, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const r of ctx.ftsQueue) insert.run(r.emailId, ...r.cols);
  ctx.ftsQueue.length = 0;
}

/** Runs fn in a read transaction: every statement sees the same snapshot. */
export function readTx<T>(ctx: Ctx, fn: () => T): T {
  return ctx.db.transaction(fn).deferred();
}

export function accountId(ctx: Ctx, account: string): number | null {
  const cached = ctx.accountIds.get(account);
  if (cached !== undefined) return cached;
  const row = sql(ctx, 'SELECT id FROM account WHERE name = ?').get(account) as { id: number } | undefined;
  if (!row) return null;
  ctx.accountIds.set(account, row.id);
  return row.id;
}

/** Allocates `n` consecutive modseqs for the account and returns the first. */
export function allocModseq(ctx: Ctx, accId: number, n = 1): number {
  const row = sql(ctx, 'UPDATE account SET modseq = modseq + ? WHERE id = ? RETURNING modseq').get(n, accId) as {
    modseq: number;
  };
  return row.modseq - n + 1;
}

export type StateColumn = 'mailbox_state' | 'email_state' | 'thread_state' | 'delivery_state' | 'quota_state';

export function bumpStates(ctx: Ctx, accId: number, modseq: number, columns: StateColumn[]): void {
  if (!columns.length) return;
  const set = columns.map((c) => `${c} = max(${c}, ?)`).join(', ');
  sql(ctx, `UPDATE account SET ${set} WHERE id = ?`).run(...columns.map(() => modseq), accId);
}

export function mailboxRow(ctx: Ctx, accId: number, mailboxId: string): MailboxRow | null {
  const id = decodeId('m', mailboxId);
  if (id === null) return null;
  return (sql(ctx, 'SELECT * FROM mailbox WHERE id = ? AND account_id = ?').get(id, accId) as MailboxRow | undefined) ?? null;
}

export function requireMailbox(ctx: Ctx, accId: number, mailboxId: string): MailboxRow {
  const row = mailboxRow(ctx, accId, mailboxId);
  if (!row) throw new NoSuchMailboxError(mailboxId);
  return row;
}

export function accountModseq(ctx: Ctx, accId: number): number {
  return (sql(ctx, 'SELECT modseq FROM account WHERE id = ?').get(accId) as { modseq: number }).modseq;
}

/** Counts for JMAP/IMAP STATUS, cached until the account's modseq moves. */
export function mailboxCounts(ctx: Ctx, row: MailboxRow): MailboxCounts {
  const modseq = accountModseq(ctx, row.account_id);
  const hit = ctx.countsCache.get(row.id);
  if (hit && hit.modseq === modseq) return hit.counts;
  const agg = sql(ctx, 
      `SELECT count(*) AS total, coalesce(sum((e.flags & 1) = 0), 0) AS unseen,
              coalesce(sum((e.flags & 9) = 0), 0) AS unread, coalesce(sum(e.size), 0) AS size,
              count(DISTINCT e.thread_id) AS threads
         FROM msg m JOIN email e ON e.id = m.email_id WHERE m.mailbox_id = ?`,
    )
    .get(row.id) as { total: number; unseen: number; unread: number; size: number; threads: number };
  const unreadThreads = agg.total
    ? (
        // Threads with an unread email (any mailbox) and an email in this mailbox, found from the
        // account's unread emails (email_unseen index) rather than from every message here.
        sql(ctx,
            `SELECT count(DISTINCT u.thread_id) AS n FROM email u
              WHERE u.account_id = ? AND (u.flags & 1) = 0 AND (u.flags & 8) = 0
                AND EXISTS (SELECT 1 FROM email t JOIN msg m ON m.email_id = t.id WHERE t.thread_id = u.thread_id AND m.mailbox_id = ?)`,
          )
          .get(row.account_id, row.id) as { n: number }
      ).n
    : 0;
  const hasChildren = !!sql(ctx, 'SELECT 1 FROM mailbox WHERE parent_id = ? LIMIT 1').get(row.id);
  const counts: MailboxCounts = { ...agg, unreadThreads, hasChildren };
  ctx.countsCache.set(row.id, { modseq, counts });
  return counts;
}

export function toMailbox(ctx: Ctx, row: MailboxRow): Mailbox {
  const c = mailboxCounts(ctx, row);
  const slash = row.path.lastIndexOf('/');
  return {
    id: encodeId('m', row.id),
    name: slash >= 0 ? row.path.slice(slash + 1) : row.path,
    path: row.path,
    parentId: row.parent_id === null ? null : encodeId('m', row.parent_id),
    role: (row.role as MailboxRole | null) ?? null,
    subscribed: row.subscribed === 1,
    sortOrder: row.sort_order,
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    highestModSeq: row.highest_modseq,
    totalEmails: c.total,
    unseen: c.unseen,
    unreadEmails: c.unread,
    totalThreads: c.threads,
    unreadThreads: c.unreadThreads,
    size: c.size,
    hasChildren: c.hasChildren,
  };
}

export function keywordState(flags: number, keywords: string): KeywordState {
  return { bits: flags, others: keywords === '[]' ? [] : (JSON.parse(keywords) as string[]) };
}

// Most messages share one of a few flag combinations; memoising them makes a 100k-message SELECT
// snapshot cheap. Each caller gets its own array copy.
const flagMemo = new Map<string, string[]>();

export function messageState(r: { uid: number; email_id: number; modseq: number; deleted: number; flags: number; keywords: string }): MessageState {
  const key = `${r.flags}|${r.deleted}|${r.keywords}`;
  let flags = flagMemo.get(key);
  if (!flags) {
    flags = toImapFlags(keywordState(r.flags, r.keywords), r.deleted === 1);
    if (flagMemo.size > 10_000) flagMemo.clear();
    flagMemo.set(key, flags);
  }
  return { uid: r.uid, emailId: encodeId('e', r.email_id), modseq: r.modseq, flags: flags.slice() };
}

/** Publishes events after commit; a failing bus is logged, never fails the (committed) write. */
export async function publishAll(ctx: Ctx, events: BusEvent[]): Promise<void> {
  for (const e of events) {
    try {
      await ctx.events.publish(e);
    } catch (err) {
      ctx.logger?.error({ err, eventType: e.type }, 'event publish failed');
    }
  }
}
