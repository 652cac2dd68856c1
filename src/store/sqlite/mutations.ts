// Row-level primitives shared by every write: placing an email in a mailbox (UID allocation),
// removing a membership (expunge record), inserting/cloning/destroying emails, quota accounting
// and RFC 8621 threading. All run inside the caller's write transaction.
import { nextId, noteFtsChange, sql } from './context.js';
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import type { ChangeBatch } from './batch.js';
import type { MessageAnalysis } from '../../mime/parse.js';
import type { KeywordState } from '../keywords.js';
import { OverQuotaError } from '../errors.js';
import { encodeId } from './ids.js';
import type { QuotaLevel, QuotaLimitSources } from '../api/quota.js';
import { GLOBAL_SCOPE, levelOf, quotaDomain, resolveQuota, UNSET } from '../quota-levels.js';

/** Appends a membership with the next UID of the mailbox. Returns the UID. */
export function placeEmail(ctx: Ctx, batch: ChangeBatch, mb: MailboxRow, emailId: number, modseq: number, deleted = 0): number {
  const row = sql(ctx, 
      `UPDATE mailbox SET uid_next = uid_next + 1, highest_modseq = max(highest_modseq, ?), updated_modseq = ?
        WHERE id = ? RETURNING uid_next, uid_validity`,
    )
    .get(modseq, modseq, mb.id) as { uid_next: number; uid_validity: number };
  const uid = row.uid_next - 1;
  sql(ctx, 'INSERT INTO msg (mailbox_id, uid, email_id, modseq, deleted, saved_at) VALUES (?, ?, ?, ?, ?, ?)').run(mb.id, uid, emailId, modseq, deleted, Date.now());
  batch.messageAdded(mb.id, row.uid_validity, { uid, emailId: encodeId('e', emailId), modseq });
  batch.state('mailbox_state', modseq);
  return uid;
}

/** Removes one membership and records the expunge for VANISHED. */
export function removeMembership(ctx: Ctx, batch: ChangeBatch, mailboxId: number, uid: number, modseq: number): void {
  sql(ctx, 'DELETE FROM msg WHERE mailbox_id = ? AND uid = ?').run(mailboxId, uid);
  sql(ctx, 'INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)').run(mailboxId, uid, modseq);
  sql(ctx, 'UPDATE mailbox SET highest_modseq = max(highest_modseq, ?), updated_modseq = ? WHERE id = ?').run(modseq, modseq, mailboxId);
  batch.messageExpunged(mailboxId, uid, modseq);
  batch.state('mailbox_state', modseq);
}

function scopeLevel(ctx: Ctx, scope: string): QuotaLevel {
  return levelOf(sql(ctx, 'SELECT storage, messages FROM quota_scope WHERE scope = ?').get(scope) as QuotaLevel | undefined);
}

/** The levels of a domain's (or, with null, the server's) limits. */
export function scopeQuota(ctx: Ctx, domain: string | null): QuotaLimitSources {
  return resolveQuota(UNSET, domain === null ? UNSET : scopeLevel(ctx, domain), scopeLevel(ctx, GLOBAL_SCOPE), ctx.defaultQuota);
}

/** An account's limit levels and usage. */
export function accountQuota(
  ctx: Ctx,
  accId: number,
): { sources: QuotaLimitSources; usedStorage: number; usedMessages: number; ownLimits: boolean; quotaState: number } {
  const row = sql(ctx, 'SELECT name, quota_storage, quota_messages, used_storage, used_messages, quota_state FROM account WHERE id = ?').get(accId) as {
    name: string;
    quota_storage: number | null;
    quota_messages: number | null;
    used_storage: number;
    used_messages: number;
    quota_state: number;
  };
  const domain = quotaDomain(row.name);
  const sources = resolveQuota(
    { storage: row.quota_storage, messages: row.quota_messages },
    domain === null ? UNSET : scopeLevel(ctx, domain),
    scopeLevel(ctx, GLOBAL_SCOPE),
    ctx.defaultQuota,
  );
  return {
    sources,
    usedStorage: row.used_storage,
    usedMessages: row.used_messages,
    ownLimits: row.quota_storage !== null || row.quota_messages !== null,
    quotaState: row.quota_state,
  };
}

export function quotaLimits(ctx: Ctx, accId: number): { storage: number; messages: number; usedStorage: number; usedMessages: number } {
  const { sources, usedStorage, usedMessages } = accountQuota(ctx, accId);
  return { ...sources.computed, usedStorage, usedMessages };
}

/** Throws OverQuotaError if adding `bytes`/`count` would exceed a limit. */
export function checkQuota(ctx: Ctx, account: string, accId: number, bytes: number, count: number): void {
  const q = quotaLimits(ctx, accId);
  if (q.messages > 0 && count > 0 && q.usedMessages + count > q.messages) {
    throw new OverQuotaError(account, 'messages', q.usedMessages + count, q.messages);
  }
  if (q.storage > 0 && bytes > 0 && q.usedStorage + bytes > q.storage) {
    throw new OverQuotaError(account, 'storage', q.usedStorage + bytes, q.storage);
  }
}

function adjustUsage(ctx: Ctx, batch: ChangeBatch, accId: number, bytes: number, count: number, modseq: number): void {
  sql(ctx, 'UPDATE account SET used_storage = used_storage + ?, used_messages = used_messages + ? WHERE id = ?').run(bytes, count, accId);
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
export function insertEmail(ctx: Ctx, batch: ChangeBatch, accId: number, e: NewEmail, modseq: number): { id: number; threadId: number } {
  const a = e.analysis;
  const refs = threadRefs(a);
  const sort = a.parsed.sort;
  const threadId = assignThread(ctx, batch, accId, refs, sort.subject, modseq);
  const info = sql(ctx, 
      `INSERT INTO email (id, account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, created_modseq,
         updated_modseq, has_attachment, subject_sort, from_sort, to_sort, cc_sort, display_from, display_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      nextId(ctx, 'email'), accId, e.blob, threadId, e.size, e.receivedAt, a.parsed.sentAt ? a.parsed.sentAt.getTime() : null,
      a.parsed.sentDay, e.keywords.bits, JSON.stringify(e.keywords.others), modseq, modseq, a.parsed.hasAttachment ? 1 : 0,
      sort.subject, sort.from, sort.to, sort.cc, sort.displayFrom, sort.displayTo,
    );
  const id = Number(info.lastInsertRowid);
  sql(ctx, 'INSERT INTO email_parsed (email_id, envelope, parsed) VALUES (?, ?, ?)').run(id, JSON.stringify(a.parsed.envelope), JSON.stringify(a.parsed));
  const s = a.search;
  insertText(ctx, id, [s.subject, s.from, s.to, s.cc, s.bcc, s.headers, s.body]);
  const insRef = sql(ctx, 'INSERT OR IGNORE INTO email_ref (account_id, ref, email_id) VALUES (?, ?, ?)');
  for (const r of refs.all) insRef.run(accId, r, id);
  adjustUsage(ctx, batch, accId, e.size, 1, modseq);
  batch.state('email_state', modseq);
  return { id, threadId };
}

function insertText(ctx: Ctx, id: number, cols: string[]): void {
  sql(ctx, 'INSERT INTO email_text (email_id, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(id, ...cols);
  noteFtsChange(ctx);
}

/** A second email with the same blob, keywords and thread (IMAP COPY into a mailbox that has it). */
export function cloneEmail(ctx: Ctx, batch: ChangeBatch, src: EmailRow, modseq: number): number {
  const info = sql(ctx, 
      `INSERT INTO email (id, account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, created_modseq,
         updated_modseq, has_attachment, subject_sort, from_sort, to_sort, cc_sort, display_from, display_to)
       SELECT ?, account_id, blob, thread_id, size, received_at, sent_at, sent_day, flags, keywords, ?, ?, has_attachment,
         subject_sort, from_sort, to_sort, cc_sort, display_from, display_to FROM email WHERE id = ?`,
    )
    .run(nextId(ctx, 'email'), modseq, modseq, src.id);
  const id = Number(info.lastInsertRowid);
  sql(ctx, 'INSERT INTO email_parsed (email_id, envelope, parsed) SELECT ?, envelope, parsed FROM email_parsed WHERE email_id = ?').run(id, src.id);
  const t = sql(ctx, 'SELECT subject, from_, to_, cc, bcc, headers, body FROM email_text WHERE email_id = ?').get(src.id) as
    | Record<string, string>
    | undefined;
  if (t) insertText(ctx, id, [t.subject!, t.from_!, t.to_!, t.cc!, t.bcc!, t.headers!, t.body!]);
  sql(ctx, 'INSERT OR IGNORE INTO email_ref (account_id, ref, email_id) SELECT account_id, ref, ? FROM email_ref WHERE email_id = ?').run(id, src.id);
  touchThread(ctx, batch, src.thread_id, modseq);
  adjustUsage(ctx, batch, src.account_id, src.size, 1, modseq);
  batch.state('email_state', modseq);
  return id;
}

/** Marks the email changed (keywords or mailboxIds) for JMAP /changes. */
export function touchEmail(ctx: Ctx, batch: ChangeBatch, emailId: number, modseq: number): void {
  sql(ctx, 'UPDATE email SET updated_modseq = ? WHERE id = ?').run(modseq, emailId);
  batch.state('email_state', modseq);
}

function touchThread(ctx: Ctx, batch: ChangeBatch, threadId: number, modseq: number): void {
  sql(ctx, 'UPDATE thread SET updated_modseq = ? WHERE id = ?').run(modseq, threadId);
  batch.state('thread_state', modseq);
}

/** Destroys the email if no mailbox holds it any more; else records it as updated. */
export function settleEmail(ctx: Ctx, batch: ChangeBatch, emailId: number, modseq: number): boolean {
  const still = sql(ctx, 'SELECT 1 FROM msg WHERE email_id = ? LIMIT 1').get(emailId);
  if (still) {
    touchEmail(ctx, batch, emailId, modseq);
    return false;
  }
  destroyEmailRow(ctx, batch, emailId, modseq);
  return true;
}

export function destroyEmailRow(ctx: Ctx, batch: ChangeBatch, emailId: number, modseq: number): void {
  const e = sql(ctx, 'SELECT account_id, thread_id, size, created_modseq FROM email WHERE id = ?').get(emailId) as
    | { account_id: number; thread_id: number; size: number; created_modseq: number }
    | undefined;
  if (!e) return;
  noteFtsChange(ctx);
  sql(ctx, 'DELETE FROM email_text WHERE email_id = ?').run(emailId);
  sql(ctx, 'DELETE FROM email_parsed WHERE email_id = ?').run(emailId);
  sql(ctx, 'DELETE FROM email_ref WHERE email_id = ?').run(emailId);
  sql(ctx, 'DELETE FROM msg WHERE email_id = ?').run(emailId);
  sql(ctx, 'DELETE FROM email WHERE id = ?').run(emailId);
  tombstone(ctx, e.account_id, 'Email', emailId, e.created_modseq, modseq);
  adjustUsage(ctx, batch, e.account_id, -e.size, -1, modseq);
  batch.state('email_state', modseq);
  const left = sql(ctx, 'SELECT 1 FROM email WHERE thread_id = ? LIMIT 1').get(e.thread_id);
  if (left) touchThread(ctx, batch, e.thread_id, modseq);
  else destroyThread(ctx, batch, e.thread_id, modseq);
}

function destroyThread(ctx: Ctx, batch: ChangeBatch, threadId: number, modseq: number): void {
  const t = sql(ctx, 'DELETE FROM thread WHERE id = ? RETURNING account_id, created_modseq').get(threadId) as
    | { account_id: number; created_modseq: number }
    | undefined;
  if (t) tombstone(ctx, t.account_id, 'Thread', threadId, t.created_modseq, modseq);
  batch.state('thread_state', modseq);
}

export function tombstone(ctx: Ctx, accId: number, type: 'Mailbox' | 'Email' | 'Thread', id: number, createdModseq: number, modseq: number): void {
  sql(ctx, 
      'INSERT OR REPLACE INTO tombstone (account_id, type, object_id, created_modseq, destroyed_modseq, destroyed_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(accId, type, id, createdModseq, modseq, Date.now());
}

export interface Refs {
  own: string[];
  all: string[];
}

export function threadRefs(a: MessageAnalysis): Refs {
  const own = (a.parsed.messageId ?? []).map((r) => r.toLowerCase());
  const other = [...(a.parsed.inReplyTo ?? []), ...(a.parsed.references ?? [])].map((r) => r.toLowerCase());
  return { own, all: [...new Set([...own, ...other])].slice(0, 200) };
}

/**
 * RFC 8621 §3: an email joins the thread of any email that shares a Message-ID with its
 * Message-ID/In-Reply-To/References and has the same base subject. Several matching threads are
 * merged into the oldest.
 */
function assignThread(ctx: Ctx, batch: ChangeBatch, accId: number, refs: Refs, subject: string, modseq: number): number {
  const threads = new Set<number>();
  if (refs.all.length) {
    const rows = sql(ctx, 
        `SELECT DISTINCT e.thread_id AS t, e.subject_sort AS s FROM email_ref r JOIN email e ON e.id = r.email_id
          WHERE r.account_id = ? AND r.ref IN (${refs.all.map(() => '?').join(',')})`,
      )
      .all(accId, ...refs.all) as { t: number; s: string }[];
    for (const r of rows) if (r.s === subject || !subject || !r.s) threads.add(r.t);
  }
  if (threads.size === 0) {
    const info = sql(ctx, 'INSERT INTO thread (id, account_id, created_modseq, updated_modseq) VALUES (?, ?, ?, ?)').run(nextId(ctx, 'thread'), accId, modseq, modseq);
    batch.state('thread_state', modseq);
    return Number(info.lastInsertRowid);
  }
  const [keep, ...merge] = [...threads].sort((a, b) => a - b) as [number, ...number[]];
  for (const t of merge) {
    const moved = sql(ctx, 'UPDATE email SET thread_id = ?, updated_modseq = ? WHERE thread_id = ? RETURNING id').all(keep, modseq, t);
    if (moved.length) batch.state('email_state', modseq);
    destroyThread(ctx, batch, t, modseq);
  }
  touchThread(ctx, batch, keep, modseq);
  return keep;
}
