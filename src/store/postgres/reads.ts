// Reads on PostgreSQL: SELECT snapshots, CONDSTORE/QRESYNC deltas, FETCH metadata, JMAP Email/Thread
// get, search, Email/query, states and /changes. Each multi-statement read runs in one REPEATABLE
// READ snapshot. The rules are the SQLite engine's (../sqlite/reads.ts).
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
  ThreadInfo,
  UidSet,
} from '../types.js';
import { InvalidArgumentError } from '../errors.js';
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import { accountId, keywordState, messageState, readTx, requireAccount, requireMailbox, toMailbox } from './context.js';
import type { Conn, SqlParam } from './db.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { classifyChanges, sinceModseq, windowChanges, type ChangeStamp } from '../changes-window.js';
import { compileCriteria, compileSort, uidSetSql } from './search-sql.js';
import { toJmapKeywords } from '../keywords.js';
import { reviveParsed } from '../sqlite/reads.js';
import { cachedListing, keepListing } from '../listing-cache.js';

const MEMBER_SQL = `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords FROM msg m JOIN email e ON e.id = m.email_id`;

type MemberRow = { uid: number; email_id: number; modseq: number; deleted: number; flags: number; keywords: string };

export async function snapshot(ctx: Ctx, account: string, mailboxId: string): Promise<MailboxSnapshot> {
  const accId = await requireAccount(ctx, account);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    let messages = cachedListing(ctx, mb);
    if (!messages) {
      messages = (await q.all<MemberRow>(`${MEMBER_SQL} WHERE m.mailbox_id = ? ORDER BY m.uid`, mb.id)).map(messageState);
      // A read-only transaction of its own: these rows are committed.
      keepListing(ctx, mb, messages);
    }
    return { mailbox: await toMailbox(q, mb), messages };
  });
}

export async function changedSince(ctx: Ctx, account: string, mailboxId: string, since: number, uidRange?: UidSet): Promise<ChangedSinceResult> {
  const accId = await requireAccount(ctx, account);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const changed = (await q.all<MemberRow>(`${MEMBER_SQL} WHERE m.mailbox_id = ? AND m.modseq > ? ORDER BY m.uid`, mb.id, since)).map(messageState);
    const floor = (await q.get<{ changes_floor: number }>('SELECT changes_floor FROM account WHERE id = ?', accId))!.changes_floor;
    let vanished: number[];
    if (since >= floor) {
      const p: SqlParam[] = [mb.id, since];
      const range = uidRange ? `AND ${uidSetSql(uidRange, 'uid', p)}` : '';
      vanished = await q.pluck<number>(`SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ${range} ORDER BY uid`, ...p);
    } else {
      vanished = await missingUids(q, mb, uidRange ?? [[1, Math.max(1, mb.uid_next - 1)]]);
    }
    return { changed, vanished, highestModSeq: mb.highest_modseq };
  });
}

/** UIDs in the set, below UIDNEXT, that no longer exist: the VANISHED superset after a log purge. */
async function missingUids(q: Conn, mb: MailboxRow, set: UidSet): Promise<number[]> {
  const existing = new Set(await q.pluck<number>('SELECT uid FROM msg WHERE mailbox_id = ?', mb.id));
  const out: number[] = [];
  const max = mb.uid_next - 1;
  for (const item of set) {
    const [a, b] = typeof item === 'number' ? [item, item] : item;
    for (let u = Math.max(1, Math.min(a, b)); u <= Math.min(Math.max(a, b), max); u++) if (!existing.has(u)) out.push(u);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

export async function getMessages(ctx: Ctx, account: string, mailboxId: string, uids: UidSet, parsed: boolean, envelope = false): Promise<MessageMeta[]> {
  const accId = await requireAccount(ctx, account);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const p: SqlParam[] = [mb.id];
    const where = uidSetSql(uids, 'm.uid', p);
    const cols = (parsed ? ', x.parsed' : '') + (envelope ? ', x.envelope' : '');
    const join = parsed || envelope ? 'LEFT JOIN email_parsed x ON x.email_id = m.email_id' : '';
    const rows = await q.all<MemberRow & { blob: string; thread_id: number; size: number; received_at: number; saved_at: number; parsed?: string; envelope?: string }>(
      `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords, e.blob, e.thread_id, e.size, e.received_at,
              coalesce(m.saved_at, e.received_at) AS saved_at${cols}
         FROM msg m JOIN email e ON e.id = m.email_id ${join} WHERE m.mailbox_id = ? AND ${where} ORDER BY m.uid`,
      ...p,
    );
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
      if (r.parsed !== undefined && r.parsed !== null) meta.parsed = reviveParsed(r.parsed);
      if (r.envelope !== undefined && r.envelope !== null) meta.envelope = JSON.parse(r.envelope) as Envelope;
      return meta;
    });
  });
}

export async function getEmails(ctx: Ctx, account: string, emailIds: string[], parsed: boolean): Promise<EmailMeta[]> {
  const accId = await accountId(ctx, account);
  if (accId === null) return [];
  const ids = emailIds.map((i) => decodeId('e', i)).filter((i): i is number => i !== null);
  if (!ids.length) return [];
  return readTx(ctx, async (q) => {
    const rows = await q.all<EmailRow & { mailbox_ids: number[] | null; parsed: string | null }>(
      `SELECT e.*, (SELECT array_agg(mailbox_id ORDER BY mailbox_id) FROM msg WHERE email_id = e.id) AS mailbox_ids
              ${parsed ? ', (SELECT parsed FROM email_parsed WHERE email_id = e.id) AS parsed' : ', NULL AS parsed'}
         FROM email e WHERE e.id = ANY(?::bigint[]) AND e.account_id = ?`,
      ids,
      accId,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out: EmailMeta[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) continue;
      const meta: EmailMeta = {
        id: encodeId('e', row.id),
        blobId: row.blob,
        threadId: encodeId('t', row.thread_id),
        size: row.size,
        receivedAt: new Date(row.received_at),
        keywords: toJmapKeywords(keywordState(row.flags, row.keywords)),
        mailboxIds: (row.mailbox_ids ?? []).map((m) => encodeId('m', Number(m))),
      };
      if (parsed && row.parsed) meta.parsed = reviveParsed(row.parsed);
      out.push(meta);
    }
    return out;
  });
}

/** The blob holding an email's message, or null when the account has no such email. */
async function messageBlob(ctx: Ctx, account: string, emailId: string): Promise<string | null> {
  const accId = await accountId(ctx, account);
  const id = decodeId('e', emailId);
  if (accId === null || id === null) return null;
  const row = await ctx.q.get<{ blob: string }>('SELECT blob FROM email WHERE id = ? AND account_id = ?', id, accId);
  return row?.blob ?? null;
}

export async function readMessage(ctx: Ctx, account: string, emailId: string, range?: ByteRange): Promise<Buffer | null> {
  const blob = await messageBlob(ctx, account, emailId);
  return blob === null ? null : ctx.blobs.read(blob, range);
}

export async function openMessage(ctx: Ctx, account: string, emailId: string, range?: ByteRange): Promise<ByteSource | null> {
  const blob = await messageBlob(ctx, account, emailId);
  return blob === null ? null : ctx.blobs.open(blob, range);
}

export async function getThreads(ctx: Ctx, account: string, threadIds: string[]): Promise<ThreadInfo[]> {
  const accId = await accountId(ctx, account);
  if (accId === null) return [];
  return readTx(ctx, async (q) => {
    const out: ThreadInfo[] = [];
    for (const t of threadIds) {
      const id = decodeId('t', t);
      if (id === null) continue;
      const emails = await q.pluck<number>('SELECT id FROM email WHERE thread_id = ? AND account_id = ? ORDER BY received_at, id', id, accId);
      if (emails.length) out.push({ id: t, emailIds: emails.map((e) => encodeId('e', e)) });
    }
    return out;
  });
}

export async function searchMailbox(ctx: Ctx, account: string, mailboxId: string, req: MailboxSearchRequest): Promise<MailboxSearchResult> {
  const accId = await requireAccount(ctx, account);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const where = compileCriteria(req.criteria, 'mailbox');
    const orderParams: SqlParam[] = [];
    const order = compileSort(req.sort ?? [], 'mailbox', orderParams);
    const rows = await q.all<{ uid: number; modseq: number }>(
      `SELECT m.uid, m.modseq FROM msg m JOIN email e ON e.id = m.email_id WHERE m.mailbox_id = ? AND ${where.sql} ORDER BY ${order}`,
      mb.id,
      ...where.params,
      ...orderParams,
    );
    let highest = 0;
    const uids = rows.map((r) => {
      if (r.modseq > highest) highest = r.modseq;
      return r.uid;
    });
    return { uids, highestModSeq: highest };
  });
}

export async function queryEmails(ctx: Ctx, account: string, req: EmailQueryRequest): Promise<EmailQueryResult> {
  const accId = await requireAccount(ctx, account);
  if (req.limit !== undefined && req.limit < 0) throw new InvalidArgumentError('limit must not be negative');
  return readTx(ctx, async (q) => {
    const where = compileCriteria(req.filter, 'account');
    const orderParams: SqlParam[] = [];
    const sort = req.sort && req.sort.length ? req.sort : [{ key: 'receivedAt' as const, descending: true }];
    const order = compileSort(sort, 'account', orderParams);
    // Without an anchor or a negative position, reading can stop at position + limit; the total, if
    // wanted, is then counted by the database (in the same snapshot).
    const stopAt = req.anchor === undefined && req.limit !== undefined && (req.position ?? 0) >= 0 ? (req.position ?? 0) + req.limit : Infinity;
    const base = `FROM email e WHERE e.account_id = ? AND ${where.sql}`;
    let rows: { id: number; thread_id: number }[];
    if (req.collapseThreads) {
      // The first email of each thread in the requested order, then those in that order.
      rows = await q.all(
        `SELECT id, thread_id FROM (
           SELECT e.id, e.thread_id, row_number() OVER (ORDER BY ${order}) AS pos,
                  row_number() OVER (PARTITION BY e.thread_id ORDER BY ${order}) AS nth ${base}) s
          WHERE nth = 1 ORDER BY pos ${Number.isFinite(stopAt) ? `LIMIT ${stopAt + 1}` : ''}`,
        ...orderParams,
        ...orderParams,
        accId,
        ...where.params,
      );
    } else {
      rows = await q.all(`SELECT e.id, e.thread_id ${base} ORDER BY ${order} ${Number.isFinite(stopAt) ? `LIMIT ${stopAt + 1}` : ''}`, accId, ...where.params, ...orderParams);
    }
    const stoppedEarly = rows.length > stopAt;
    const ids = rows.slice(0, Number.isFinite(stopAt) ? stopAt : undefined).map((r) => r.id);
    let total = ids.length;
    if (stoppedEarly && req.calculateTotal !== false) {
      const counted = req.collapseThreads ? 'count(DISTINCT e.thread_id)' : 'count(*)';
      total = (await q.pluck<number>(`SELECT ${counted} ${base}`, accId, ...where.params))[0]!;
    }
    let position = req.position ?? 0;
    let anchorNotFound = false;
    if (req.anchor !== undefined) {
      const anchor = decodeId('e', req.anchor);
      const idx = anchor === null ? -1 : ids.indexOf(anchor);
      if (idx < 0) anchorNotFound = true;
      else position = Math.max(0, idx + (req.anchorOffset ?? 0));
    } else if (position < 0) position = Math.max(0, total + position);
    const slice = anchorNotFound ? [] : ids.slice(position, req.limit === undefined ? undefined : position + req.limit);
    const state = (await q.get<{ email_state: number }>('SELECT email_state FROM account WHERE id = ?', accId))!.email_state;
    return {
      ids: slice.map((i) => encodeId('e', i)),
      position: Math.min(position, total),
      total,
      queryState: String(state),
      ...(anchorNotFound ? { anchorNotFound } : {}),
    };
  });
}

export async function getStates(ctx: Ctx, account: string): Promise<AccountStates> {
  const accId = await requireAccount(ctx, account);
  const r = (await ctx.q.get<Record<string, number>>('SELECT mailbox_state, email_state, thread_state, delivery_state, quota_state FROM account WHERE id = ?', accId))!;
  return {
    Mailbox: String(r.mailbox_state),
    Email: String(r.email_state),
    Thread: String(r.thread_state),
    EmailDelivery: String(r.delivery_state),
    Quota: String(r.quota_state),
  };
}

const COUNT_PROPS = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'];

interface ChangeItem extends ChangeStamp<number> {
  /** Mailbox: modseq of the last change of its own properties (not its counts). */
  props: number;
}

type RawChange = Omit<ChangeItem, 'destroyed'> & { destroyed: number };

export async function changes(ctx: Ctx, account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges = 5000): Promise<ChangesResult> {
  const accId = await requireAccount(ctx, account);
  if (!Number.isInteger(maxChanges) || maxChanges < 1) throw new InvalidArgumentError('maxChanges must be a positive integer');
  return readTx(ctx, async (q) => {
    const stateCol = type === 'Mailbox' ? 'mailbox_state' : type === 'Email' ? 'email_state' : 'thread_state';
    const a = (await q.get<{ state: number; changes_floor: number; modseq: number }>(`SELECT ${stateCol} AS state, changes_floor, modseq FROM account WHERE id = ?`, accId))!;
    const since = sinceModseq(sinceState, a.modseq, a.changes_floor);
    const table = type === 'Mailbox' ? 'mailbox' : type === 'Email' ? 'email' : 'thread';
    const props = type === 'Mailbox' ? 'props_modseq' : 'updated_modseq';
    const live = await q.all<RawChange>(
      `SELECT id, created_modseq AS created, updated_modseq AS last, ${props} AS props, 0 AS destroyed FROM ${table} WHERE account_id = ? AND updated_modseq > ?`,
      accId,
      since,
    );
    const dead = await q.all<RawChange>(
      `SELECT object_id AS id, created_modseq AS created, destroyed_modseq AS last, destroyed_modseq AS props, 1 AS destroyed
         FROM tombstone WHERE account_id = ? AND type = ? AND destroyed_modseq > ? AND created_modseq <= ?`,
      accId,
      type,
      since,
      since,
    );
    const items: ChangeItem[] = [...live, ...dead].map((r) => ({ id: r.id, created: r.created, last: r.last, props: r.props, destroyed: !!r.destroyed }));
    const window = windowChanges(items, since, maxChanges, a.state);
    const prefix = type === 'Mailbox' ? 'm' : type === 'Email' ? 'e' : 't';
    const { created, updated, destroyed } = classifyChanges(window.items, since, (id) => encodeId(prefix, id));
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
