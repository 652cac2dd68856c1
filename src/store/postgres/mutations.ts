// Row-level primitives shared by every write: placing an email in a mailbox (UID allocation),
// removing a membership (expunge record), inserting/cloning/destroying emails, quota accounting
// and RFC 8621 threading. All run inside the caller's write transaction (`q`).
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import { noNul } from './context.js';
import type { Conn } from './db.js';
import type { ChangeBatch } from './batch.js';
import type { MessageAnalysis } from '../../mime/parse.js';
import type { KeywordState } from '../keywords.js';
import { OverQuotaError } from '../errors.js';
import { encodeId } from '../sqlite/ids.js';
import { threadRefs, type Refs } from '../sqlite/mutations.js';
import type { QuotaLevel, QuotaLimitSources } from '../api/quota.js';
import { GLOBAL_SCOPE, levelOf, resolveQuota, UNSET } from '../quota-levels.js';

/**
 * Appends a membership with the next UID of the mailbox. The UPDATE locks the mailbox row until the
 * commit, so the UID is the mailbox's alone. Returns the UID.
 */
export async function placeEmail(q: Conn, batch: ChangeBatch, mb: MailboxRow, emailId: number, modseq: number, deleted = 0): Promise<number> {
  const row = (await q.get<{ uid_next: number; uid_validity: number }>(
    `UPDATE mailbox SET uid_next = uid_next + 1, highest_modseq = greatest(highest_modseq, ?), updated_modseq = ?
      WHERE id = ? RETURNING uid_next, uid_validity`,
    modseq,
    modseq,
    mb.id,
  ))!;
  const uid = row.uid_next - 1;
  await q.run(
    'INSERT INTO msg (mailbox_id, uid, email_id, modseq, deleted, saved_at) VALUES (?, ?, ?, ?, ?, ?)',
    mb.id,
    uid,
    emailId,
    modseq,
    deleted,
    Date.now(),
  );
  batch.messageAdded(mb.id, row.uid_validity, { uid, emailId: encodeId('e', emailId), modseq });
  batch.state('mailbox_state', modseq);
  return uid;
}

/** Removes one membership and records the expunge for VANISHED. */
export async function removeMembership(q: Conn, batch: ChangeBatch, mailboxId: number, uid: number, modseq: number): Promise<void> {
  await q.run('DELETE FROM msg WHERE mailbox_id = ? AND uid = ?', mailboxId, uid);
  await q.run(
    'INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?) ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq',
    mailboxId,
    uid,
    modseq,
  );
  await q.run('UPDATE mailbox SET highest_modseq = greatest(highest_modseq, ?), updated_modseq = ? WHERE id = ?', modseq, modseq, mailboxId);
  batch.messageExpunged(mailboxId, uid, modseq);
  batch.state('mailbox_state', modseq);
}

const SCOPE_LEVEL = 'SELECT storage, messages FROM quota_scope WHERE scope = ?';

/** The levels of a domain's (or, with null, the server's) limits. */
export async function scopeQuota(ctx: Ctx, q: Conn, domain: string | null): Promise<QuotaLimitSources> {
  const own = domain === null ? UNSET : levelOf(await q.get<QuotaLevel>(SCOPE_LEVEL, domain));
  return resolveQuota(UNSET, own, levelOf(await q.get<QuotaLevel>(SCOPE_LEVEL, GLOBAL_SCOPE)), ctx.defaultQuota);
}

/**
 * An account's limit levels and usage, in one statement: its domain is the part of its name after
 * the last '@' (quotaDomain in ../quota-levels.ts), none when nothing follows one.
 */
export async function accountQuota(ctx: Ctx, q: Conn, accId: number): Promise<{ sources: QuotaLimitSources; usedStorage: number; usedMessages: number }> {
  const row = (await q.get<{
    quota_storage: number | null;
    quota_messages: number | null;
    used_storage: number;
    used_messages: number;
    d_storage: number | null;
    d_messages: number | null;
    g_storage: number | null;
    g_messages: number | null;
  }>(
    `SELECT a.quota_storage, a.quota_messages, a.used_storage, a.used_messages,
            d.storage AS d_storage, d.messages AS d_messages, g.storage AS g_storage, g.messages AS g_messages
       FROM account a
       LEFT JOIN quota_scope d ON d.scope = lower(substring(a.name from '@([^@]+)$'))
       LEFT JOIN quota_scope g ON g.scope = ?
      WHERE a.id = ?`,
    GLOBAL_SCOPE,
    accId,
  ))!;
  const sources = resolveQuota(
    levelOf({ storage: row.quota_storage, messages: row.quota_messages }),
    levelOf({ storage: row.d_storage, messages: row.d_messages }),
    levelOf({ storage: row.g_storage, messages: row.g_messages }),
    ctx.defaultQuota,
  );
  return { sources, usedStorage: Number(row.used_storage), usedMessages: Number(row.used_messages) };
}

export async function quotaLimits(ctx: Ctx, q: Conn, accId: number): Promise<{ storage: number; messages: number; usedStorage: number; usedMessages: number }> {
  const { sources, usedStorage, usedMessages } = await accountQuota(ctx, q, accId);
  return { ...sources.computed, usedStorage, usedMessages };
}

/** Throws OverQuotaError if adding `bytes`/`count` would exceed a limit. */
export async function checkQuota(ctx: Ctx, q: Conn, account: string, accId: number, bytes: number, count: number): Promise<void> {
  const l = await quotaLimits(ctx, q, accId);
  if (l.messages > 0 && count > 0 && l.usedMessages + count > l.messages) {
    throw new OverQuotaError(account, 'messages', l.usedMessages + count, l.messages);
  }
  if (l.storage > 0 && bytes > 0 && l.usedStorage + bytes > l.storage) {
    throw new OverQuotaError(account, 'storage', l.usedStorage + bytes, l.storage);
  }
}

async function adjustUsage(q: Conn, batch: ChangeBatch, accId: number, bytes: number, count: number, modseq: number): Promise<void> {
  await q.run('UPDATE account SET used_storage = used_storage + ?, used_messages = used_messages + ? WHERE id = ?', bytes, count, accId);
  batch.state('quota_state', modseq);
}

export interface NewEmail {
  blob: string;
  size: number;
  receivedAt: number;
  keywords: KeywordState;
  analysis: MessageAnalysis;
}

/** Inserts an email (with its search text and threading refs). Quota must have been checked. */
export async function insertEmail(q: Conn, batch: ChangeBatch, accId: number, e: NewEmail, modseq: number): Promise<{ id: number; threadId: number }> {
  const a = e.analysis;
  const refs = threadRefs(a);
  const sort = a.parsed.sort;
  const threadId = await assignThread(q, batch, accId, refs, noNul(sort.subject), modseq);
  const row = (await q.get<{ id: number }>(
    `INSERT INTO email (account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, created_modseq,
       updated_modseq, has_attachment, subject_sort, from_sort, to_sort, cc_sort, display_from, display_to)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    accId,
    e.blob,
    threadId,
    e.size,
    e.receivedAt,
    a.parsed.sentAt ? a.parsed.sentAt.getTime() : null,
    a.parsed.sentDay,
    e.keywords.bits,
    noNul(JSON.stringify(e.keywords.others)),
    modseq,
    modseq,
    a.parsed.hasAttachment ? 1 : 0,
    noNul(sort.subject),
    noNul(sort.from),
    noNul(sort.to),
    noNul(sort.cc),
    noNul(sort.displayFrom),
    noNul(sort.displayTo),
  ))!;
  const id = row.id;
  // JSON escapes NUL as the six characters \u0000, which text columns hold.
  await q.run('INSERT INTO email_parsed (email_id, envelope, parsed) VALUES (?, ?, ?)', id, JSON.stringify(a.parsed.envelope), JSON.stringify(a.parsed));
  const s = a.search;
  await insertText(q, id, [s.subject, s.from, s.to, s.cc, s.bcc, s.headers, s.body].map(noNul));
  if (refs.all.length) {
    await q.run(
      'INSERT INTO email_ref (account_id, ref, email_id) SELECT ?, r, ? FROM unnest(?::text[]) r ON CONFLICT DO NOTHING',
      accId,
      id,
      refs.all.map(noNul),
    );
  }
  await adjustUsage(q, batch, accId, e.size, 1, modseq);
  batch.state('email_state', modseq);
  return { id, threadId };
}

async function insertText(q: Conn, id: number, cols: string[]): Promise<void> {
  await q.run('INSERT INTO email_text (email_id, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', id, ...cols);
}

/** A second email with the same blob, keywords and thread (IMAP COPY into a mailbox that has it). */
export async function cloneEmail(q: Conn, batch: ChangeBatch, src: EmailRow, modseq: number): Promise<number> {
  const row = (await q.get<{ id: number }>(
    `INSERT INTO email (account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, created_modseq,
       updated_modseq, has_attachment, subject_sort, from_sort, to_sort, cc_sort, display_from, display_to)
     SELECT account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, ?::bigint, ?::bigint, has_attachment,
       subject_sort, from_sort, to_sort, cc_sort, display_from, display_to FROM email WHERE id = ? RETURNING id`,
    modseq,
    modseq,
    src.id,
  ))!;
  const id = row.id;
  await q.run('INSERT INTO email_parsed (email_id, envelope, parsed) SELECT ?::bigint, envelope, parsed FROM email_parsed WHERE email_id = ?', id, src.id);
  await q.run(
    `INSERT INTO email_text (email_id, subject, from_, to_, cc, bcc, headers, body)
     SELECT ?::bigint, subject, from_, to_, cc, bcc, headers, body FROM email_text WHERE email_id = ?`,
    id,
    src.id,
  );
  await q.run('INSERT INTO email_ref (account_id, ref, email_id) SELECT account_id, ref, ?::bigint FROM email_ref WHERE email_id = ? ON CONFLICT DO NOTHING', id, src.id);
  await touchThread(q, batch, src.thread_id, modseq);
  await adjustUsage(q, batch, src.account_id, src.size, 1, modseq);
  batch.state('email_state', modseq);
  return id;
}

/** Marks the email changed (keywords or mailboxIds) for JMAP /changes. */
export async function touchEmail(q: Conn, batch: ChangeBatch, emailId: number, modseq: number): Promise<void> {
  await q.run('UPDATE email SET updated_modseq = ? WHERE id = ?', modseq, emailId);
  batch.state('email_state', modseq);
}

async function touchThread(q: Conn, batch: ChangeBatch, threadId: number, modseq: number): Promise<void> {
  await q.run('UPDATE thread SET updated_modseq = ? WHERE id = ?', modseq, threadId);
  batch.state('thread_state', modseq);
}

/** Destroys the email if no mailbox holds it any more; else records it as updated. */
export async function settleEmail(q: Conn, batch: ChangeBatch, emailId: number, modseq: number): Promise<boolean> {
  const still = await q.get('SELECT 1 FROM msg WHERE email_id = ? LIMIT 1', emailId);
  if (still) {
    await touchEmail(q, batch, emailId, modseq);
    return false;
  }
  await destroyEmailRow(q, batch, emailId, modseq);
  return true;
}

export async function destroyEmailRow(q: Conn, batch: ChangeBatch, emailId: number, modseq: number): Promise<void> {
  const e = await q.get<{ account_id: number; thread_id: number; size: number; created_modseq: number }>(
    'SELECT account_id, thread_id, size, created_modseq FROM email WHERE id = ?',
    emailId,
  );
  if (!e) return;
  await q.run('DELETE FROM email_text WHERE email_id = ?', emailId);
  await q.run('DELETE FROM email_parsed WHERE email_id = ?', emailId);
  await q.run('DELETE FROM email_ref WHERE email_id = ?', emailId);
  await q.run('DELETE FROM msg WHERE email_id = ?', emailId);
  await q.run('DELETE FROM email WHERE id = ?', emailId);
  await tombstone(q, e.account_id, 'Email', emailId, e.created_modseq, modseq);
  await adjustUsage(q, batch, e.account_id, -e.size, -1, modseq);
  batch.state('email_state', modseq);
  const left = await q.get('SELECT 1 FROM email WHERE thread_id = ? LIMIT 1', e.thread_id);
  if (left) await touchThread(q, batch, e.thread_id, modseq);
  else await destroyThread(q, batch, e.thread_id, modseq);
}

async function destroyThread(q: Conn, batch: ChangeBatch, threadId: number, modseq: number): Promise<void> {
  const t = await q.get<{ account_id: number; created_modseq: number }>('DELETE FROM thread WHERE id = ? RETURNING account_id, created_modseq', threadId);
  if (t) await tombstone(q, t.account_id, 'Thread', threadId, t.created_modseq, modseq);
  batch.state('thread_state', modseq);
}

export async function tombstone(q: Conn, accId: number, type: 'Mailbox' | 'Email' | 'Thread' | 'SieveScript', id: number, createdModseq: number, modseq: number): Promise<void> {
  await q.run(
    `INSERT INTO tombstone (account_id, type, object_id, created_modseq, destroyed_modseq, destroyed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id, type, object_id) DO UPDATE SET created_modseq = excluded.created_modseq,
       destroyed_modseq = excluded.destroyed_modseq, destroyed_at = excluded.destroyed_at`,
    accId,
    type,
    id,
    createdModseq,
    modseq,
    Date.now(),
  );
}

/**
 * RFC 8621 §3: an email joins the thread of any email that shares a Message-ID with its
 * Message-ID/In-Reply-To/References and has the same base subject. Several matching threads are
 * merged into the oldest.
 */
async function assignThread(q: Conn, batch: ChangeBatch, accId: number, refs: Refs, subject: string, modseq: number): Promise<number> {
  const threads = new Set<number>();
  if (refs.all.length) {
    const rows = await q.all<{ t: number; s: string }>(
      `SELECT DISTINCT e.thread_id AS t, e.subject_sort AS s FROM email_ref r JOIN email e ON e.id = r.email_id
        WHERE r.account_id = ? AND r.ref = ANY(?::text[])`,
      accId,
      refs.all.map(noNul),
    );
    for (const r of rows) if (r.s === subject || !subject || !r.s) threads.add(r.t);
  }
  if (threads.size === 0) {
    const row = (await q.get<{ id: number }>('INSERT INTO thread (account_id, created_modseq, updated_modseq) VALUES (?, ?, ?) RETURNING id', accId, modseq, modseq))!;
    batch.state('thread_state', modseq);
    return row.id;
  }
  const [keep, ...merge] = [...threads].sort((a, b) => a - b) as [number, ...number[]];
  for (const t of merge) {
    const moved = await q.run('UPDATE email SET thread_id = ?, updated_modseq = ? WHERE thread_id = ?', keep, modseq, t);
    if (moved) batch.state('email_state', modseq);
    await destroyThread(q, batch, t, modseq);
  }
  await touchThread(q, batch, keep, modseq);
  return keep;
}
