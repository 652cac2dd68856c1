// The smaller services on PostgreSQL: quota, JMAP uploads and blob access, per-account settings, the
// outbound queue (leases claimed with FOR UPDATE SKIP LOCKED, so nodes claiming at once never take
// the same item nor wait on each other) and garbage collection.
import type {
  ByteRange,
  ByteSource,
  ClaimRequest,
  DeliveryAttempt,
  EnqueueInput,
  JsonValue,
  OutboundItem,
  OutboundRecipient,
  OutboundStatus,
  QuotaLevel,
  QuotaLimitSources,
  QuotaUsage,
  SettingInput,
  SettingValue,
  UploadedBlob,
  WriteOptions,
} from '../types.js';
import { InvalidArgumentError, StateMismatchError } from '../errors.js';
import type { Ctx } from './context.js';
import { accountId, allocModseq, eventTx, requireAccount, writeTx } from './context.js';
import { transaction, type Conn } from './db.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { accountQuota, quotaLimits, scopeQuota } from './mutations.js';
import { checkLevel, quotaDomain, scopeKey } from '../quota-levels.js';
import type { BusEvent } from '../../events/types.js';
import { PgBlobs } from './blobs.js';
import { storeBlob } from '../ingest.js';
import { toItem, type OutboundRow } from '../sqlite/extras.js';
import type { SpooledMessage } from '../spool/spooled.js';

export async function getQuota(ctx: Ctx, account: string): Promise<QuotaUsage> {
  const accId = await requireAccount(ctx, account);
  return transaction(
    ctx.pool,
    async (q) => {
      const l = await quotaLimits(ctx, q, accId);
      const set = await q.get<{ modseq: number }>('SELECT modseq FROM quota_limit_state WHERE account_id = ?', accId);
      const a = (await q.get<{ quota_storage: number | null; quota_messages: number | null; quota_state: number }>(
        'SELECT quota_storage, quota_messages, quota_state FROM account WHERE id = ?',
        accId,
      ))!;
      const limitsState = set?.modseq ?? (a.quota_storage !== null || a.quota_messages !== null ? a.quota_state : 0);
      return { storage: { used: l.usedStorage, limit: l.storage }, messages: { used: l.usedMessages, limit: l.messages }, limitsState: String(limitsState) };
    },
    true,
  );
}

export async function getQuotaLimits(ctx: Ctx, account: string): Promise<QuotaLimitSources> {
  const accId = await requireAccount(ctx, account);
  return transaction(ctx.pool, async (q) => (await accountQuota(ctx, q, accId)).sources, true);
}

export async function getScopeQuota(ctx: Ctx, domain: string | null): Promise<QuotaLimitSources> {
  const scope = domain === null ? null : scopeKey(domain);
  return transaction(ctx.pool, (q) => scopeQuota(ctx, q, scope), true);
}

/** Inside the write: a new Quota state for a change of the account's limits (JMAP Quota/changes tells it from usage). */
async function limitsChanged(q: Conn, account: string, accId: number): Promise<ChangeBatch> {
  const batch = new ChangeBatch(account, accId, undefined);
  const modseq = await allocModseq(q, accId);
  await q.run('UPDATE account SET quota_state = ? WHERE id = ?', modseq, accId);
  await q.run('INSERT INTO quota_limit_state (account_id, modseq) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET modseq = excluded.modseq', accId, modseq);
  batch.state('quota_state', modseq);
  return batch;
}

export async function setQuota(ctx: Ctx, account: string, limits: QuotaLevel | null): Promise<void> {
  const accId = await requireAccount(ctx, account);
  checkLevel(limits);
  // Published like any other state change, so push clients see a Quota change when limits change.
  await writeTx(
    ctx,
    accId,
    async (q) => {
      await q.run('UPDATE account SET quota_storage = ?, quota_messages = ? WHERE id = ?', limits?.storage ?? null, limits?.messages ?? null, accId);
      return (await limitsChanged(q, account, accId)).events(q);
    },
    (events) => events,
  );
}

export async function setScopeQuota(ctx: Ctx, domain: string | null, limits: QuotaLevel): Promise<void> {
  checkLevel(limits);
  const scope = scopeKey(domain);
  await eventTx(ctx, async (q) => {
    if (limits.storage === null && limits.messages === null) await q.run('DELETE FROM quota_scope WHERE scope = ?', scope);
    else {
      await q.run(
        'INSERT INTO quota_scope (scope, storage, messages) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET storage = excluded.storage, messages = excluded.messages',
        scope,
        limits.storage,
        limits.messages,
      );
    }
    // Every account the level may apply to gets a new Quota state (one with limits of its own too:
    // cheaper than telling which resources it sets, and a spurious state change is harmless). Rows
    // are locked in id order, as allocModseq locks them, so two such changes never deadlock.
    const accounts = (await q.all<{ id: number; name: string }>('SELECT id, name FROM account ORDER BY id')).filter(
      (a) => domain === null || quotaDomain(a.name) === scope,
    );
    const out: BusEvent[] = [];
    for (const a of accounts) out.push(...(await (await limitsChanged(q, a.name, a.id)).events(q)));
    return out;
  }, (events) => events);
}

export async function uploadBlob(ctx: Ctx, account: string, bytes: Buffer | SpooledMessage, type: string): Promise<UploadedBlob> {
  const accId = await requireAccount(ctx, account);
  const size = Buffer.isBuffer(bytes) ? bytes.length : bytes.size;
  const blobId = await storeBlob(ctx.blobs, bytes);
  const expiresAt = Date.now() + ctx.uploadTtlMs;
  await ctx.q.run(
    `INSERT INTO upload (account_id, blob, type, size, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (account_id, blob) DO UPDATE SET type = excluded.type, size = excluded.size, expires_at = excluded.expires_at`,
    accId,
    blobId,
    type.replace(/\0/g, ''),
    size,
    expiresAt,
  );
  return { blobId, size, type, expiresAt: new Date(expiresAt) };
}

/** Size of a blob the account may read (one of its emails, or one of its uploads); undefined otherwise. */
export async function readableBlobSize(q: Conn, accId: number, blobId: string): Promise<number | undefined> {
  const row = await q.get<{ size: number }>(
    `SELECT size FROM email WHERE account_id = ? AND blob = ?
     UNION ALL SELECT size FROM upload WHERE account_id = ? AND blob = ?
     UNION ALL SELECT size FROM sieve_script WHERE account_id = ? AND blob = ? LIMIT 1`,
    accId,
    blobId,
    accId,
    blobId,
    accId,
    blobId,
  );
  return row?.size;
}

/** Whether the account may read the blob: one of its emails, or one of its uploads. */
async function mayReadBlob(ctx: Ctx, account: string, blobId: string): Promise<boolean> {
  const accId = await accountId(ctx, account);
  return accId !== null && PgBlobs.isBlobId(blobId) && (await readableBlobSize(ctx.q, accId, blobId)) !== undefined;
}

export async function readBlob(ctx: Ctx, account: string, blobId: string, range?: ByteRange): Promise<Buffer | null> {
  return (await mayReadBlob(ctx, account, blobId)) ? ctx.blobs.read(blobId, range) : null;
}

export async function openBlob(ctx: Ctx, account: string, blobId: string, range?: ByteRange): Promise<ByteSource | null> {
  return (await mayReadBlob(ctx, account, blobId)) ? ctx.blobs.open(blobId, range) : null;
}

export async function blobSize(ctx: Ctx, account: string, blobId: string): Promise<number | null> {
  const accId = await accountId(ctx, account);
  if (accId === null || !PgBlobs.isBlobId(blobId)) return null;
  return (await readableBlobSize(ctx.q, accId, blobId)) ?? null;
}

export async function emailsWithBlob(ctx: Ctx, account: string, blobId: string): Promise<string[]> {
  const accId = await accountId(ctx, account);
  if (accId === null || !PgBlobs.isBlobId(blobId)) return [];
  const ids = await ctx.q.pluck<number>('SELECT id FROM email WHERE account_id = ? AND blob = ? ORDER BY id', accId, blobId);
  return ids.map((id) => encodeId('e', id));
}

async function readSetting(q: Conn, accId: number, key: string): Promise<SettingValue> {
  const row = await q.get<{ value: string | null; state: number }>('SELECT value, state FROM setting WHERE account_id = ? AND key = ?', accId, key);
  if (!row) return { value: null, state: '0' };
  return { value: row.value === null ? null : (JSON.parse(row.value) as JsonValue), state: String(row.state) };
}

export async function getSetting(ctx: Ctx, account: string, key: string): Promise<SettingValue> {
  return readSetting(ctx.q, await requireAccount(ctx, account), key);
}

export async function setSetting(ctx: Ctx, account: string, key: string, input: SettingInput, options?: WriteOptions & { ifInState?: string }): Promise<string> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const { state } = await writeTx(ctx, accId, async (q) => {
    const current = await readSetting(q, accId, key);
    if (options?.ifInState !== undefined && options.ifInState !== current.state) throw new StateMismatchError(options.ifInState, current.state);
    const modseq = await allocModseq(q, accId);
    const value = typeof input === 'function' ? input(String(modseq)) : input;
    await q.run(
      'INSERT INTO setting (account_id, key, value, state) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value, state = excluded.state',
      accId,
      key,
      value === null ? null : JSON.stringify(value),
      modseq,
    );
    batch.extraState(`Setting:${key}`, String(modseq));
    return { state: String(modseq), events: await batch.events(q) };
  }, (out) => out.events);
  return state;
}

export async function enqueueOutbound(ctx: Ctx, input: EnqueueInput): Promise<OutboundItem> {
  if (!input.recipients.length) throw new InvalidArgumentError('an outbound message needs recipients');
  const blob = await storeBlob(ctx.blobs, input.bytes);
  const size = Buffer.isBuffer(input.bytes) ? input.bytes.length : input.bytes.size;
  const recipients: OutboundRecipient[] = input.recipients.map((r) =>
    typeof r === 'string' ? { address: r, status: 'pending', lastResponse: null } : { ...r, status: 'pending', lastResponse: null },
  );
  const now = Date.now();
  const row = (await ctx.q.get<OutboundRow>(
    `INSERT INTO outbound (account, sender, recipients, blob, size, created_at, next_attempt_at, status, meta, envelope)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING *`,
    input.account ?? null,
    input.sender.replace(/\0/g, ''),
    JSON.stringify(recipients),
    blob,
    size,
    now,
    (input.nextAttemptAt ?? new Date(now)).getTime(),
    JSON.stringify(input.meta ?? null),
    JSON.stringify(input.envelope ?? {}),
  ))!;
  return toItem(row);
}

export async function claimOutbound(ctx: Ctx, req: ClaimRequest): Promise<OutboundItem[]> {
  const now = (req.now ?? new Date()).getTime();
  const rows = await ctx.q.all<OutboundRow>(
    `UPDATE outbound SET lease_owner = ?, lease_until = ?
      WHERE id IN (SELECT id FROM outbound WHERE status = 'queued' AND next_attempt_at <= ?
                     AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT ?
                     FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    req.owner,
    now + req.leaseMs,
    now,
    now,
    req.limit,
  );
  return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id).map(toItem);
}

export async function renewOutboundLease(ctx: Ctx, id: string, owner: string, leaseMs: number, now: Date = new Date()): Promise<boolean> {
  const rowId = decodeId('q', id);
  if (rowId === null) return false;
  const changed = await ctx.q.run("UPDATE outbound SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'queued'", now.getTime() + leaseMs, rowId, owner);
  return changed === 1;
}

export async function recordDeliveryAttempt(ctx: Ctx, id: string, owner: string, attempt: DeliveryAttempt): Promise<OutboundItem> {
  const rowId = decodeId('q', id);
  if (rowId === null) throw new InvalidArgumentError(`no such queue item ${id}`);
  return transaction(ctx.pool, async (q) => {
    const row = await q.get<OutboundRow>('SELECT * FROM outbound WHERE id = ? FOR UPDATE', rowId);
    if (!row) throw new InvalidArgumentError(`no such queue item ${id}`);
    if (row.lease_owner !== owner) throw new InvalidArgumentError(`queue item ${id} is not leased by ${owner}`);
    const recipients = JSON.parse(row.recipients) as OutboundRecipient[];
    for (const r of attempt.results) {
      const rcpt = recipients.find((x) => x.address === r.address && x.status === 'pending');
      if (!rcpt) continue;
      rcpt.lastResponse = r.response?.replace(/\0/g, '') ?? null;
      if (r.delayReported) rcpt.delayReported = true;
      if (r.outcome === 'delivered') rcpt.status = 'delivered';
      else if (r.outcome === 'failed') rcpt.status = 'failed';
    }
    if (attempt.nextAttemptAt === null) for (const r of recipients) if (r.status === 'pending') r.status = 'failed';
    const pending = recipients.some((r) => r.status === 'pending');
    const updated = (await q.get<OutboundRow>(
      `UPDATE outbound SET recipients = ?, attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = ?,
         lease_owner = NULL, lease_until = NULL WHERE id = ? RETURNING *`,
      JSON.stringify(recipients),
      attempt.error?.replace(/\0/g, '') ?? row.last_error,
      pending ? 'queued' : 'done',
      attempt.nextAttemptAt ? attempt.nextAttemptAt.getTime() : row.next_attempt_at,
      rowId,
    ))!;
    return toItem(updated);
  });
}

export async function getOutbound(ctx: Ctx, id: string): Promise<OutboundItem | null> {
  const rowId = decodeId('q', id);
  if (rowId === null) return null;
  const row = await ctx.q.get<OutboundRow>('SELECT * FROM outbound WHERE id = ?', rowId);
  return row ? toItem(row) : null;
}

export async function listOutbound(ctx: Ctx, filter?: { account?: string; status?: OutboundStatus }): Promise<OutboundItem[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter?.account !== undefined) {
    where.push('account = ?');
    params.push(filter.account);
  }
  if (filter?.status !== undefined) {
    where.push('status = ?');
    params.push(filter.status);
  }
  const rows = await ctx.q.all<OutboundRow>(`SELECT * FROM outbound ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`, ...params);
  return rows.map(toItem);
}

export async function openOutbound(ctx: Ctx, id: string): Promise<ByteSource | null> {
  const item = await getOutbound(ctx, id);
  return item ? ctx.blobs.open(item.blobId) : null;
}

/** Deletes a queued item no worker holds (an expired lease counts as free). */
export async function removeOutbound(ctx: Ctx, id: string, now: Date): Promise<boolean> {
  const rowId = decodeId('q', id);
  if (rowId === null) return false;
  const removed = await ctx.q.run(
    "DELETE FROM outbound WHERE id = ? AND status = 'queued' AND (lease_until IS NULL OR lease_until <= ?)",
    rowId,
    now.getTime(),
  );
  return removed > 0;
}

export function rescheduleOutbound(ctx: Ctx, at: Date): Promise<number> {
  const t = at.getTime();
  return ctx.q.run("UPDATE outbound SET next_attempt_at = ? WHERE status = 'queued' AND next_attempt_at > ?", t, t);
}

/** Blobs touched more recently than this are never collected: an append may be about to reference them. */
const GC_GRACE_MS = 60 * 60 * 1000;

export async function collectGarbage(ctx: Ctx, now: Date): Promise<number> {
  const t = now.getTime();
  await transaction(ctx.pool, async (q) => {
    await q.run('DELETE FROM upload WHERE expires_at <= ?', t);
    // Old change records: drop them and raise each account's floor so older states are refused.
    const horizon = t - ctx.retentionMs;
    const floors = await q.all<{ account_id: number; m: number }>(
      'SELECT account_id, max(destroyed_modseq) AS m FROM tombstone WHERE destroyed_at <= ? GROUP BY account_id',
      horizon,
    );
    for (const f of floors) {
      await q.run('UPDATE account SET changes_floor = greatest(changes_floor, ?) WHERE id = ?', f.m, f.account_id);
      await q.run('DELETE FROM tombstone WHERE account_id = ? AND destroyed_modseq <= ?', f.account_id, f.m);
      await q.run('DELETE FROM expunged WHERE modseq <= ? AND mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?)', f.m, f.account_id);
    }
  });
  // Unreferenced blobs not touched within the grace period; their chunks go by ON DELETE CASCADE.
  return ctx.q.run(
    `DELETE FROM blob b WHERE b.touched_at < ?
       AND NOT EXISTS (SELECT 1 FROM email WHERE blob = b.hash)
       AND NOT EXISTS (SELECT 1 FROM upload WHERE blob = b.hash)
       AND NOT EXISTS (SELECT 1 FROM outbound WHERE blob = b.hash AND status = 'queued')
       AND NOT EXISTS (SELECT 1 FROM sieve_script WHERE blob = b.hash)`,
    t - GC_GRACE_MS,
  );
}
