// Shared state and helpers of the SQLite store modules: the database, blob files, the event bus,
// account/mailbox lookups, modseq allocation and row conversions.
import type { Db } from './db.js';
import type { Statement, Transaction } from 'better-sqlite3';
import type { SqliteBlobs } from './blob-store.js';
import type { WalDurability } from './wal-sync.js';
import type { FtsIndex } from './fts-index.js';
import type { BusEvent, EventBus } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import type { Mailbox, MailboxRole, MessageState, QuotaLimits } from '../types.js';
import { NoSuchMailboxError } from '../errors.js';
import { decodeId, encodeId } from './ids.js';
import { toImapFlags, type KeywordState } from '../keywords.js';

export interface Ctx {
  db: Db;
  blobs: SqliteBlobs;
  events: EventBus;
  logger?: Logger;
  defaultQuota: QuotaLimits;
  retentionMs: number;
  uploadTtlMs: number;
  /** Prepared statements by SQL text (preparing costs more than running most of them). */
  statements: Map<string, Statement>;
  /**
   * Set when the open write transaction wrote or removed email text (and so fts_log rows, by
   * trigger): the full-text index worker is poked once it has committed.
   */
  ftsDirty: boolean;
  /** fts_log is trimmed up to here. */
  ftsTrimmedUpTo: number;
  /** The full-text index (a worker thread with its own database). */
  fts: FtsIndex;
  /** Syncs grouped commits off the main thread. */
  wal: WalDurability;
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
  sent_day: number | null;
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
  ctx.ftsDirty = false;
  const result = transactionRunner(ctx.db).immediate(() => {
    const out = fn();
    trimFtsLog(ctx);
    return out;
  }) as T;
  if (ctx.ftsDirty) ctx.fts.poke();
  return result;
}

/** Runs fn in a savepoint of the open transaction; a failure rolls back only its writes. */
export function savepoint<T>(ctx: Ctx, fn: () => T): T {
  return transactionRunner(ctx.db)(fn) as T;
}

/** Notes that the transaction wrote or removed email_text rows (the index worker is poked after commit). */
export function noteFtsChange(ctx: Ctx): void {
  ctx.ftsDirty = true;
}

/** fts_log rows the index has applied are deleted once this many have piled up. */
const FTS_TRIM_EVERY = 500;

function trimFtsLog(ctx: Ctx): void {
  const upTo = ctx.fts.appliedUpTo;
  if (upTo - ctx.ftsTrimmedUpTo < FTS_TRIM_EVERY) return;
  sql(ctx, 'DELETE FROM fts_log WHERE seq <= ?').run(upTo);
  ctx.ftsTrimmedUpTo = upTo;
}

/** Runs fn in a read transaction: every statement sees the same snapshot. */
export function readTx<T>(ctx: Ctx, fn: () => T): T {
  return transactionRunner(ctx.db).deferred(fn) as T;
}

type Runner = Transaction<(fn: () => unknown) => unknown>;
const runners = new WeakMap<Db, Runner>();

/**
 * One better-sqlite3 transaction function per database that runs the function it is given (BEGIN,
 * or a savepoint when nested, then COMMIT or ROLLBACK, exactly as db.transaction(fn) does): building
 * a new db.transaction(fn) for each read or write cost more than the SQL of a short read (a login's
 * SELECT makes several).
 */
function transactionRunner(db: Db): Runner {
  let runner = runners.get(db);
  if (!runner) {
    runner = db.transaction((fn: () => unknown) => fn());
    runners.set(db, runner);
  }
  return runner;
}

/**
 * The account's row id, read each time (a unique-index lookup, microseconds): not cached, because
 * another process on the same database (a second server process, `tessera user delete`) may delete
 * the account and create it again under a new id.
 */
export function accountId(ctx: Ctx, account: string): number | null {
  const row = sql(ctx, 'SELECT id FROM account WHERE name = ?').get(account) as { id: number } | undefined;
  return row ? row.id : null;
}

/** A new id for a row of `table`, never one a row of it had before (see id_seq in schema.ts). */
export function nextId(ctx: Ctx, table: 'email' | 'mailbox' | 'thread' | 'sieve_script'): number {
  return sql(
    ctx,
    `INSERT INTO id_seq (name, last) VALUES ('${table}', coalesce((SELECT max(id) FROM ${table}), 0) + 1)
       ON CONFLICT (name) DO UPDATE SET last = max(last, coalesce((SELECT max(id) FROM ${table}), 0)) + 1
     RETURNING last`,
  )
    .pluck()
    .get() as number;
}

/** Allocates `n` consecutive modseqs for the account and returns the first. */
export function allocModseq(ctx: Ctx, accId: number, n = 1): number {
  const row = sql(ctx, 'UPDATE account SET modseq = modseq + ? WHERE id = ? RETURNING modseq').get(n, accId) as {
    modseq: number;
  };
  return row.modseq - n + 1;
}

export type { StateColumn } from '../change-batch.js';

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

const NO_COUNTS = { total: 0, unseen: 0, unread: 0, size: 0, threads: 0, unreadThreads: 0 };

/**
 * Counts for JMAP/IMAP STATUS, kept by triggers (mailbox_count in schema.ts): reading them costs
 * the same in any mailbox, after any change.
 */
export function mailboxCounts(ctx: Ctx, row: MailboxRow): MailboxCounts {
  const kept =
    (sql(ctx, 'SELECT total, unseen, unread, size, threads, unread_threads AS unreadThreads FROM mailbox_count WHERE mailbox_id = ?').get(row.id) as
      | Omit<MailboxCounts, 'hasChildren'>
      | undefined) ?? NO_COUNTS;
  const hasChildren = !!sql(ctx, 'SELECT 1 FROM mailbox WHERE parent_id = ? LIMIT 1').get(row.id);
  return { ...kept, hasChildren };
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
export async function publishAll(ctx: Pick<Ctx, 'events' | 'logger'>, events: BusEvent[]): Promise<void> {
  const bus = ctx.events;
  if (bus.publishMany && events.length > 1) {
    try {
      await bus.publishMany(events);
    } catch (err) {
      ctx.logger?.error({ err, eventTypes: events.map((e) => e.type) }, 'event publish failed');
    }
    return;
  }
  for (const e of events) {
    try {
      await ctx.events.publish(e);
    } catch (err) {
      ctx.logger?.error({ err, eventType: e.type }, 'event publish failed');
    }
  }
}
