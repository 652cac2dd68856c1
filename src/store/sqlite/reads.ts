// Reads: SELECT snapshots, CONDSTORE/QRESYNC deltas, FETCH metadata, JMAP Email/Thread get, search,
// Email/query, states and /changes. Each runs in one read transaction (a consistent snapshot).
import type {
  AccountStates,
  ByteRange,
  ByteSource,
  ChangedSinceResult,
  ChangesResult,
  EmailMeta,
  EmailQueryRequest,
  EmailQueryResult,
  Envelope,
  MailboxSearchRequest,
  MailboxSearchResult,
  MailboxSnapshot,
  MessageMeta,
  MessageState,
  ParsedMessage,
  ThreadInfo,
  UidSet,
} from '../types.js';
import { CannotCalculateChangesError, InvalidArgumentError, NoSuchMailboxError } from '../errors.js';
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import { accountId, keywordState, messageState, readTx, requireMailbox, toMailbox, sql } from './context.js';
import { decodeId, encodeId } from './ids.js';
import { classifyChanges, sinceModseq, windowChanges, type ChangeStamp } from '../changes-window.js';
import { compileCriteria, compileSort, uidSetSql, type FtsMatches, type SqlParam } from './search-sql.js';
import { toJmapKeywords } from '../keywords.js';
import { cachedListing, keepListing } from '../listing-cache.js';

function acc(ctx: Ctx, account: string): number {
  const id = accountId(ctx, account);
  if (id === null) throw new NoSuchMailboxError(`account ${account}`);
  return id;
}

const MEMBER_SQL = `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords FROM msg m JOIN email e ON e.id = m.email_id`;

type MemberRow = { uid: number; email_id: number; modseq: number; deleted: number; flags: number; keywords: string };

export function snapshot(ctx: Ctx, account: string, mailboxId: string): MailboxSnapshot {
  const accId = acc(ctx, account);
  // Inside a caller's write transaction the rows may yet be rolled back: not for the cache.
  const committed = !ctx.db.inTransaction;
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    let messages = cachedListing(ctx, mb);
    if (!messages) {
      messages = (sql(ctx, `${MEMBER_SQL} WHERE m.mailbox_id = ? ORDER BY m.uid`).all(mb.id) as MemberRow[]).map(messageState);
      if (committed) keepListing(ctx, mb, messages);
    }
    return { mailbox: toMailbox(ctx, mb), messages };
  });
}

export function changedSince(ctx: Ctx, account: string, mailboxId: string, since: number, uidRange?: UidSet): ChangedSinceResult {
  const accId = acc(ctx, account);
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const changed = (sql(ctx, `${MEMBER_SQL} WHERE m.mailbox_id = ? AND m.modseq > ? ORDER BY m.uid`).all(mb.id, since) as MemberRow[]).map(
      messageState,
    );
    const floor = (sql(ctx, 'SELECT changes_floor FROM account WHERE id = ?').get(accId) as { changes_floor: number }).changes_floor;
    let vanished: number[];
    if (since >= floor) {
      const p: SqlParam[] = [mb.id, since];
      const range = uidRange ? `AND ${uidSetSql(uidRange, 'uid', p)}` : '';
      vanished = sql(ctx, `SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ${range} ORDER BY uid`).pluck().all(...p) as number[];
    } else {
      vanished = missingUids(ctx, mb, uidRange ?? [[1, Math.max(1, mb.uid_next - 1)]]);
    }
    return { changed, vanished, highestModSeq: mb.highest_modseq };
  });
}

/** UIDs in the set, below UIDNEXT, that no longer exist: the VANISHED superset after a log purge. */
function missingUids(ctx: Ctx, mb: MailboxRow, set: UidSet): number[] {
  const existing = new Set(sql(ctx, 'SELECT uid FROM msg WHERE mailbox_id = ?').pluck().all(mb.id) as number[]);
  const out: number[] = [];
  const max = mb.uid_next - 1;
  for (const item of set) {
    const [a, b] = typeof item === 'number' ? [item, item] : item;
    for (let u = Math.max(1, Math.min(a, b)); u <= Math.min(Math.max(a, b), max); u++) if (!existing.has(u)) out.push(u);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

export function getMessages(ctx: Ctx, account: string, mailboxId: string, uids: UidSet, parsed: boolean, envelope = false): MessageMeta[] {
  const accId = acc(ctx, account);
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const p: SqlParam[] = [mb.id];
    const where = uidSetSql(uids, 'm.uid', p);
    const cols = (parsed ? ', x.parsed' : '') + (envelope ? ', x.envelope' : '');
    const join = parsed || envelope ? 'LEFT JOIN email_parsed x ON x.email_id = m.email_id' : '';
    const rows = sql(ctx, 
        `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords, e.blob, e.thread_id, e.size, e.received_at,
                coalesce(m.saved_at, e.received_at) AS saved_at${cols}
           FROM msg m JOIN email e ON e.id = m.email_id ${join} WHERE m.mailbox_id = ? AND ${where} ORDER BY m.uid`,
      )
      .all(...p) as Array<MemberRow & { blob: string; thread_id: number; size: number; received_at: number; saved_at: number; parsed?: string; envelope?: string }>;
    return rows.map((r) => {
      const meta: MessageMeta = {
        ...messageState(r),
        mailboxId,
        blobId: r.blob,
        threadId: encodeId('t', r.thread_id),
        size: r.size,
        receivedAt: new Date(r.received_at),
        savedAt: new Date(r.saved_at),
      };
      if (r.parsed !== undefined) meta.parsed = reviveParsed(r.parsed);
      if (r.envelope !== undefined) meta.envelope = JSON.parse(r.envelope) as Envelope;
      return meta;
    });
  });
}

export function reviveParsed(json: string): ParsedMessage {
  const p = JSON.parse(json) as ParsedMessage & { sentAt: string | null };
  return { ...p, sentAt: p.sentAt ? new Date(p.sentAt) : null };
}

export function getEmails(ctx: Ctx, account: string, emailIds: string[], parsed: boolean): EmailMeta[] {
  const accId = accountId(ctx, account);
  if (accId === null) return [];
  const ids = emailIds.map((i) => decodeId('e', i)).filter((i): i is number => i !== null);
  if (!ids.length) return [];
  return readTx(ctx, () => {
    const byEmail = sql(ctx, 'SELECT mailbox_id FROM msg WHERE email_id = ? ORDER BY mailbox_id').pluck();
    const get = sql(ctx, 'SELECT * FROM email WHERE id = ? AND account_id = ?');
    const out: EmailMeta[] = [];
    for (const id of ids) {
      const row = get.get(id, accId) as EmailRow | undefined;
      if (!row) continue;
      const meta: EmailMeta = {
        id: encodeId('e', row.id),
        blobId: row.blob,
        threadId: encodeId('t', row.thread_id),
        size: row.size,
        receivedAt: new Date(row.received_at),
        keywords: toJmapKeywords(keywordState(row.flags, row.keywords)),
        mailboxIds: (byEmail.all(row.id) as number[]).map((m) => encodeId('m', m)),
      };
      if (parsed) {
        const p = sql(ctx, 'SELECT parsed FROM email_parsed WHERE email_id = ?').pluck().get(row.id) as string | undefined;
        if (p) meta.parsed = reviveParsed(p);
      }
      out.push(meta);
    }
    return out;
  });
}

/** The blob holding an email's message, or null when the account has no such email. */
function messageBlob(ctx: Ctx, account: string, emailId: string): string | null {
  const accId = accountId(ctx, account);
  const id = decodeId('e', emailId);
  if (accId === null || id === null) return null;
  const row = sql(ctx, 'SELECT blob FROM email WHERE id = ? AND account_id = ?').get(id, accId) as { blob: string } | undefined;
  return row?.blob ?? null;
}

export async function readMessage(ctx: Ctx, account: string, emailId: string, range?: ByteRange): Promise<Buffer | null> {
  const blob = messageBlob(ctx, account, emailId);
  return blob === null ? null : ctx.blobs.read(blob, range);
}

export async function openMessage(ctx: Ctx, account: string, emailId: string, range?: ByteRange): Promise<ByteSource | null> {
  const blob = messageBlob(ctx, account, emailId);
  return blob === null ? null : ctx.blobs.open(blob, range);
}

export function getThreads(ctx: Ctx, account: string, threadIds: string[]): ThreadInfo[] {
  const accId = accountId(ctx, account);
  if (accId === null) return [];
  return readTx(ctx, () => {
    const out: ThreadInfo[] = [];
    const q = sql(ctx, 'SELECT id FROM email WHERE thread_id = ? AND account_id = ? ORDER BY received_at, id').pluck();
    for (const t of threadIds) {
      const id = decodeId('t', t);
      if (id === null) continue;
      const emails = q.all(id, accId) as number[];
      if (emails.length) out.push({ id: t, emailIds: emails.map((e) => encodeId('e', e)) });
    }
    return out;
  });
}

export function searchMailbox(ctx: Ctx, account: string, mailboxId: string, req: MailboxSearchRequest, matches: FtsMatches): MailboxSearchResult {
  const accId = acc(ctx, account);
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const where = compileCriteria(req.criteria, 'mailbox', accId, matches);
    const orderParams: SqlParam[] = [];
    const order = compileSort(req.sort ?? [], 'mailbox', orderParams, accId);
    const rows = sql(ctx, `SELECT m.uid, m.modseq FROM msg m JOIN email e ON e.id = m.email_id WHERE m.mailbox_id = ? AND ${where.sql} ORDER BY ${order}`)
      .raw()
      .all(mb.id, ...where.params, ...orderParams) as [number, number][];
    let highest = 0;
    const uids = rows.map(([uid, modseq]) => {
      if (modseq > highest) highest = modseq;
      return uid;
    });
    return { uids, highestModSeq: highest };
  });
}

export function queryEmails(ctx: Ctx, account: string, req: EmailQueryRequest, matches: FtsMatches): EmailQueryResult {
  const accId = acc(ctx, account);
  return readTx(ctx, () => {
    const where = compileCriteria(req.filter, 'account', accId, matches);
    const orderParams: SqlParam[] = [];
    const sort = req.sort && req.sort.length ? req.sort : [{ key: 'receivedAt' as const, descending: true }];
    const order = compileSort(sort, 'account', orderParams, accId);
    const stmt = sql(ctx, `SELECT e.id, e.thread_id FROM email e WHERE e.account_id = ? AND ${where.sql} ORDER BY ${order}`).raw();
    // Without an anchor or a negative position, reading can stop at position + limit; the total,
    // if wanted, is then counted by SQLite (in the same snapshot) without materialising every row.
    const stopAt =
      req.anchor === undefined && req.limit !== undefined && (req.position ?? 0) >= 0 ? (req.position ?? 0) + req.limit : Infinity;
    const ids: number[] = [];
    const seen = new Set<number>();
    let stoppedEarly = false;
    for (const row of stmt.iterate(accId, ...where.params, ...orderParams) as IterableIterator<[number, number]>) {
      const [id, t] = row;
      if (req.collapseThreads) {
        if (seen.has(t)) continue;
        seen.add(t);
      }
      if (ids.length >= stopAt) {
        stoppedEarly = true;
        break;
      }
      ids.push(id);
    }
    let total = ids.length;
    if (stoppedEarly && req.calculateTotal !== false) {
      const counted = req.collapseThreads ? 'count(DISTINCT e.thread_id)' : 'count(*)';
      total = sql(ctx, `SELECT ${counted} FROM email e WHERE e.account_id = ? AND ${where.sql}`).pluck().get(accId, ...where.params) as number;
    }
    let position = req.position ?? 0;
    let anchorNotFound = false;
    if (req.anchor !== undefined) {
      const anchor = decodeId('e', req.anchor);
      const idx = anchor === null ? -1 : ids.indexOf(anchor);
      if (idx < 0) anchorNotFound = true;
      else position = Math.max(0, idx + (req.anchorOffset ?? 0));
    } else if (position < 0) position = Math.max(0, total + position);
    if (req.limit !== undefined && req.limit < 0) throw new InvalidArgumentError('limit must not be negative');
    const slice = anchorNotFound ? [] : ids.slice(position, req.limit === undefined ? undefined : position + req.limit);
    const state = (sql(ctx, 'SELECT email_state FROM account WHERE id = ?').get(accId) as { email_state: number }).email_state;
    return {
      ids: slice.map((i) => encodeId('e', i)),
      position: Math.min(position, total),
      total,
      queryState: String(state),
      ...(anchorNotFound ? { anchorNotFound } : {}),
    };
  });
}

export function getStates(ctx: Ctx, account: string): AccountStates {
  const accId = acc(ctx, account);
  const r = sql(ctx, 'SELECT mailbox_state, email_state, thread_state, delivery_state, quota_state FROM account WHERE id = ?').get(accId) as Record<
    string,
    number
  >;
  return {
    Mailbox: String(r.mailbox_state),
    Email: String(r.email_state),
    Thread: String(r.thread_state),
    EmailDelivery: String(r.delivery_state),
    Quota: String(r.quota_state),
  };
}

const COUNT_PROPS = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'];

type RawChange = Omit<ChangeItem, 'destroyed'> & { destroyed: number };

interface ChangeItem extends ChangeStamp<number> {
  /** Mailbox: modseq of the last change of its own properties (not its counts). */
  props: number;
}

export function changes(ctx: Ctx, account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges = 5000): ChangesResult {
  const accId = acc(ctx, account);
  if (!Number.isInteger(maxChanges) || maxChanges < 1) throw new InvalidArgumentError('maxChanges must be a positive integer');
  return readTx(ctx, () => {
    const stateCol = type === 'Mailbox' ? 'mailbox_state' : type === 'Email' ? 'email_state' : 'thread_state';
    const a = sql(ctx, `SELECT ${stateCol} AS state, changes_floor, modseq FROM account WHERE id = ?`).get(accId) as {
      state: number;
      changes_floor: number;
      modseq: number;
    };
    const since = sinceModseq(sinceState, a.modseq, a.changes_floor);
    const table = type === 'Mailbox' ? 'mailbox' : type === 'Email' ? 'email' : 'thread';
    const props = type === 'Mailbox' ? 'props_modseq' : 'updated_modseq';
    const live = sql(ctx, `SELECT id, created_modseq AS created, updated_modseq AS last, ${props} AS props, 0 AS destroyed FROM ${table} WHERE account_id = ? AND updated_modseq > ?`)
      .all(accId, since) as RawChange[];
    const dead = sql(ctx, 
        `SELECT object_id AS id, created_modseq AS created, destroyed_modseq AS last, destroyed_modseq AS props, 1 AS destroyed
           FROM tombstone WHERE account_id = ? AND type = ? AND destroyed_modseq > ? AND created_modseq <= ?`,
      )
      .all(accId, type, since, since) as RawChange[];
    const items: ChangeItem[] = [...live, ...dead].map((r) => ({ id: r.id, created: r.created, last: r.last, props: r.props, destroyed: !!r.destroyed }));
    const window = windowChanges(items, since, maxChanges, a.state);
    const prefix = type === 'Mailbox' ? 'm' : type === 'Email' ? 'e' : 't';
    const { created, updated, destroyed } = classifyChanges(window.items, since, (id) => encodeId(prefix, id));
    // Count-only updates (RFC 8621 §2.2 updatedProperties): no update changed a mailbox's own properties.
    const onlyCounts = window.items.every((i) => i.destroyed || i.created > since || i.props <= since);
    return {
      oldState: sinceState,
      newState: window.newState,
      hasMoreChanges: window.hasMore,
      created,
      updated,
      destroyed,
      updatedProperties: type === 'Mailbox' && updated.length && onlyCounts ? [...COUNT_PROPS] : null,
    };
  });
}
