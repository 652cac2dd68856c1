// Shared state and helpers of the PostgreSQL store modules: the pool, blobs, the event bus, account
// and mailbox look-ups, modseq allocation and row conversions. Every helper takes the connection
// (`q`) of the transaction it runs in.
//
// Concurrency: every write transaction starts by locking its account's row (writeTx). Modseqs come
// from that row, UIDs from the mailbox row (UPDATE … RETURNING holds its lock to the commit), so
// writers of one account, on any node, commit one after another: UIDs and modseqs are never
// duplicated, and a reader never sees modseq n+1 committed before n (CONDSTORE relies on it).
//
// Events: a write names the events its result stands for (`eventsOf` of writeTx and eventTx). On the
// cluster bus (PgEventBus) the other nodes' notifications are sent inside the transaction, in the
// COMMIT's round trip, so they go out exactly when it commits, even if this node dies right after;
// this node's subscribers get the events once the commit is acknowledged. With any other bus
// (one process) the events are simply published after commit.
import type pg from 'pg';
import type { EventBus } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import type { Mailbox, MailboxRole, QuotaLimits } from '../types.js';
import { NoSuchMailboxError } from '../errors.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BusEvent } from '../../events/types.js';
export { keywordState, messageState } from '../sqlite/context.js';
import { publishAll as publishEvents } from '../sqlite/context.js';
import type { PgBlobs } from './blobs.js';
import { type CommitHook, Conn, transaction } from './db.js';
import { PgEventBus, type TxNotifications } from './event-relay.js';

export interface Ctx {
  pool: pg.Pool;
  /** Runs statements outside any transaction (single-statement reads and writes). */
  q: Conn;
  blobs: PgBlobs;
  events: EventBus;
  logger?: Logger;
  defaultQuota: QuotaLimits;
  retentionMs: number;
  uploadTtlMs: number;
}

// Rows have the SQLite engine's shape (same columns, BIGINTs parsed to numbers).
export type { EmailRow, MailboxRow } from '../sqlite/context.js';
import type { MailboxRow } from '../sqlite/context.js';

/**
 * A rights check that must run inside the transaction of the operation it guards (the acting store,
 * acting-store.ts, installs it around an operation on another user's account). writeTx runs it right
 * after locking the owner's account row, which SETACL/DELETEACL lock too, so a concurrent rights
 * change either commits before the check or waits for the operation's commit; readTx runs it as the
 * first statement of its snapshot.
 */
export interface TxGuard {
  ownerAccId: number;
  check(q: Conn): Promise<void>;
  /** Set once the check ran inside a transaction of the operation. */
  ran: boolean;
}

const guardScope = new AsyncLocalStorage<TxGuard>();

/** Runs `op` with `guard` checked inside each of its transactions. */
export function withTxGuard<T>(guard: TxGuard, op: () => Promise<T>): Promise<T> {
  return guardScope.run(guard, op);
}

async function runGuard(q: Conn, accId: number | null): Promise<void> {
  const guard = guardScope.getStore();
  if (!guard || (accId !== null && accId !== guard.ownerAccId)) return;
  await guard.check(q);
  guard.ran = true;
}

/**
 * Publishes after commit outside any guard scope: subscribers reacting to the event (other users'
 * sessions) must not have their own store calls checked against the acting user's rights.
 */
function publishAll(ctx: Pick<Ctx, 'events' | 'logger'>, events: BusEvent[]): Promise<void> {
  return guardScope.exit(() => publishEvents(ctx, events));
}

/** What a write's result stands for on the bus (computed before its COMMIT: no I/O). */
export type EventsOf<T> = (out: T) => BusEvent[];

/** A write transaction of one account: its row is locked first; its events, if any, as the file comment says. */
export function writeTx<T>(ctx: Ctx, accId: number, fn: (q: Conn) => Promise<T>, eventsOf?: EventsOf<T>): Promise<T> {
  return eventTx(
    ctx,
    async (q) => {
      const locked = await q.get('SELECT id FROM account WHERE id = ? FOR UPDATE', accId);
      if (!locked) throw new NoSuchMailboxError(`account ${accId}`);
      await runGuard(q, accId);
      return fn(q);
    },
    eventsOf,
  );
}

/** A write transaction (no account lock) whose result stands for `eventsOf`'s events (see the file comment). */
export async function eventTx<T>(ctx: Ctx, fn: (q: Conn) => Promise<T>, eventsOf?: EventsOf<T>): Promise<T> {
  if (!eventsOf) return transaction(ctx.pool, fn);
  const bus = ctx.events instanceof PgEventBus ? ctx.events : undefined;
  let events: BusEvent[] = [];
  let notifications: TxNotifications | undefined;
  const hook: CommitHook<T> = {
    sql: (out) => {
      events = eventsOf(out);
      if (!bus || events.length === 0) return undefined;
      notifications = bus.notifyInTx(events);
      return notifications.sql;
    },
    failed: (outcome) => notifications?.failed(outcome),
  };
  const out = await transaction(ctx.pool, fn, false, hook);
  const sent = notifications;
  if (sent) await guardScope.exit(() => sent.committed());
  else await publishAll(ctx, events);
  return out;
}

/** A read transaction: every statement sees one snapshot. */
export function readTx<T>(ctx: Ctx, fn: (q: Conn) => Promise<T>): Promise<T> {
  return transaction(
    ctx.pool,
    async (q) => {
      await runGuard(q, null);
      return fn(q);
    },
    true,
  );
}

/**
 * The account's row id, read afresh on every call (one lookup on the unique name index). Not cached
 * per process: another node (or worker process) on the same database may remove the account and
 * create it again under a new id at any moment, and a node cannot trust that it heard about it (bus
 * notifications are not durable). A remembered id would then make reads find nothing and writes fail
 * or land on the wrong row; the SQLite engine stopped caching ids for the same reason.
 */
export async function accountId(ctx: Ctx, account: string): Promise<number | null> {
  const row = await ctx.q.get<{ id: number }>('SELECT id FROM account WHERE name = ?', account);
  return row ? row.id : null;
}

export async function requireAccount(ctx: Ctx, account: string): Promise<number> {
  const id = await accountId(ctx, account);
  if (id === null) throw new NoSuchMailboxError(`account ${account}`);
  return id;
}

/** Allocates `n` consecutive modseqs for the account and returns the first. */
export async function allocModseq(q: Conn, accId: number, n = 1): Promise<number> {
  const row = (await q.get<{ modseq: number }>('UPDATE account SET modseq = modseq + ? WHERE id = ? RETURNING modseq', n, accId))!;
  return row.modseq - n + 1;
}

export async function mailboxRow(q: Conn, accId: number, mailboxId: string): Promise<MailboxRow | null> {
  const id = decodeId('m', mailboxId);
  if (id === null) return null;
  return (await q.get<MailboxRow>('SELECT * FROM mailbox WHERE id = ? AND account_id = ?', id, accId)) ?? null;
}

export async function requireMailbox(q: Conn, accId: number, mailboxId: string): Promise<MailboxRow> {
  const row = await mailboxRow(q, accId, mailboxId);
  if (!row) throw new NoSuchMailboxError(mailboxId);
  return row;
}

interface CountsRow {
  total: number;
  unseen: number;
  unread: number;
  size: number;
  threads: number;
  unread_threads: number;
  has_children: boolean;
}

/**
 * Counts for JMAP/IMAP STATUS aggregated over the mailbox's memberships (the SQLite engine keeps
 * them by trigger). unreadThreads: threads with a message here and an unread email anywhere (RFC 8621).
 */
const COUNTS_SQL = `
  SELECT count(*) AS total,
         count(*) FILTER (WHERE (e.flags & 1) = 0) AS unseen,
         count(*) FILTER (WHERE (e.flags & 9) = 0) AS unread,
         coalesce(sum(e.size), 0) AS size,
         count(DISTINCT e.thread_id) AS threads,
         count(DISTINCT e.thread_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM email u WHERE u.thread_id = e.thread_id AND (u.flags & 9) = 0)) AS unread_threads,
         EXISTS (SELECT 1 FROM mailbox c WHERE c.parent_id = ?) AS has_children
    FROM msg m JOIN email e ON e.id = m.email_id
   WHERE m.mailbox_id = ?`;

export async function toMailbox(q: Conn, row: MailboxRow): Promise<Mailbox> {
  const c = (await q.get<CountsRow>(COUNTS_SQL, row.id, row.id))!;
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
    unreadThreads: c.unread_threads,
    size: c.size,
    hasChildren: c.has_children,
  };
}

/** PostgreSQL text cannot hold NUL characters; hostile messages can. */
export function noNul(s: string): string {
  return s.includes('\0') ? s.replace(/\0/g, '') : s;
}
