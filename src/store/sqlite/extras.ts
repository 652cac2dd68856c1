// The smaller services living in the same database: quota, JMAP uploads, per-account settings,
// the outbound queue and garbage collection (revocations: revocations.ts).
import type {
  ByteRange,
  ByteSource,
  ClaimRequest,
  DeliveryAttempt,
  EnqueueInput,
  EnvelopeOptions,
  JsonValue,
  OutboundItem,
  OutboundRecipient,
  OutboundStatus,
  QuotaLevel,
  QuotaLimitSources,
  QuotaUsage,
  SettingValue,
  SettingInput,
  UploadedBlob,
  WriteOptions,
} from '../types.js';
import { InvalidArgumentError, NoSuchMailboxError, StateMismatchError } from '../errors.js';
import type { Ctx } from './context.js';
import { accountId, allocModseq, publishAll, readTx, writeTx, sql } from './context.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from './ids.js';
import { accountQuota, scopeQuota } from './mutations.js';
import { checkLevel, quotaDomain, scopeKey } from '../quota-levels.js';
import { BlobFiles } from '../blobs.js';
import { storeBlob } from '../ingest.js';
import type { SpooledMessage } from '../spool/spooled.js';

function acc(ctx: Ctx, account: string): number {
  const id = accountId(ctx, account);
  if (id === null) throw new NoSuchMailboxError(`account ${account}`);
  return id;
}

export function getQuota(ctx: Ctx, account: string): QuotaUsage {
  // Asked at every RCPT to a local user: one read transaction for its five statements, rather than
  // one each (each takes and drops the WAL read lock, and on a store another process writes to,
  // each may find the page cache stale and read its pages again).
  return readTx(ctx, () => quotaUsage(ctx, acc(ctx, account)));
}

function quotaUsage(ctx: Ctx, accId: number): QuotaUsage {
  // One read of the account row for the limits, the usage and the state (it was read twice).
  const q = accountQuota(ctx, accId);
  const limits = q.sources.computed;
  const set = sql(ctx, 'SELECT modseq FROM quota_limit_state WHERE account_id = ?').get(accId) as { modseq: number } | undefined;
  // Limits overridden before this was recorded: when is unknown, so say "now" (older states get
  // cannotCalculateChanges, never a wrong answer).
  const limitsState = set?.modseq ?? (q.ownLimits ? q.quotaState : 0);
  return { storage: { used: q.usedStorage, limit: limits.storage }, messages: { used: q.usedMessages, limit: limits.messages }, limitsState: String(limitsState) };
}

export function getQuotaLimits(ctx: Ctx, account: string): QuotaLimitSources {
  return accountQuota(ctx, acc(ctx, account)).sources;
}

export function getScopeQuota(ctx: Ctx, domain: string | null): QuotaLimitSources {
  return scopeQuota(ctx, domain === null ? null : scopeKey(domain));
}

/** Inside the write: a new Quota state for a change of the account's limits (JMAP Quota/changes tells it from usage). */
function limitsChanged(ctx: Ctx, account: string, accId: number): ChangeBatch {
  const batch = new ChangeBatch(account, accId, undefined);
  const modseq = allocModseq(ctx, accId);
  sql(ctx, 'UPDATE account SET quota_state = ? WHERE id = ?').run(modseq, accId);
  sql(ctx, 'INSERT OR REPLACE INTO quota_limit_state (account_id, modseq) VALUES (?, ?)').run(accId, modseq);
  batch.state('quota_state', modseq);
  return batch;
}

export async function setQuota(ctx: Ctx, account: string, limits: QuotaLevel | null): Promise<void> {
  const accId = acc(ctx, account);
  checkLevel(limits);
  // Published like any other state change, so push clients see a Quota change when limits change.
  const batch = writeTx(ctx, () => {
    sql(ctx, 'UPDATE account SET quota_storage = ?, quota_messages = ? WHERE id = ?').run(limits?.storage ?? null, limits?.messages ?? null, accId);
    return limitsChanged(ctx, account, accId);
  });
  await publishAll(ctx, batch.events(ctx));
}

export async function setScopeQuota(ctx: Ctx, domain: string | null, limits: QuotaLevel): Promise<void> {
  checkLevel(limits);
  const scope = scopeKey(domain);
  const batches = writeTx(ctx, () => {
    if (limits.storage === null && limits.messages === null) sql(ctx, 'DELETE FROM quota_scope WHERE scope = ?').run(scope);
    else sql(ctx, 'INSERT OR REPLACE INTO quota_scope (scope, storage, messages) VALUES (?, ?, ?)').run(scope, limits.storage, limits.messages);
    // Every account the level may apply to gets a new Quota state (one with limits of its own too:
    // cheaper than telling which resources it sets, and a spurious state change is harmless).
    const accounts = sql(ctx, 'SELECT id, name FROM account ORDER BY id').all() as { id: number; name: string }[];
    return accounts.filter((a) => domain === null || quotaDomain(a.name) === scope).map((a) => limitsChanged(ctx, a.name, a.id));
  });
  await publishAll(ctx, batches.flatMap((b) => b.events(ctx)));
}

export async function uploadBlob(ctx: Ctx, account: string, bytes: Buffer | SpooledMessage, type: string): Promise<UploadedBlob> {
  const accId = acc(ctx, account);
  const size = Buffer.isBuffer(bytes) ? bytes.length : bytes.size;
  const blobId = await storeBlob(ctx.blobs, bytes);
  const expiresAt = Date.now() + ctx.uploadTtlMs;
  sql(ctx, 'INSERT OR REPLACE INTO upload (account_id, blob, type, size, expires_at) VALUES (?, ?, ?, ?, ?)')
    .run(accId, blobId, type, size, expiresAt);
  return { blobId, size, type, expiresAt: new Date(expiresAt) };
}

/** Size of a blob the account may read (one of its emails, uploads or Sieve scripts); undefined otherwise. */
export function readableBlobSize(ctx: Ctx, accId: number, blobId: string): number | undefined {
  const row =
    (sql(ctx, 'SELECT size FROM email WHERE account_id = ? AND blob = ? LIMIT 1').get(accId, blobId) as { size: number } | undefined) ??
    (sql(ctx, 'SELECT size FROM upload WHERE account_id = ? AND blob = ?').get(accId, blobId) as { size: number } | undefined) ??
    (sql(ctx, 'SELECT size FROM sieve_script WHERE account_id = ? AND blob = ? LIMIT 1').get(accId, blobId) as { size: number } | undefined);
  return row?.size;
}

/** Whether the account may read the blob: one of its emails, or one of its uploads. */
function mayReadBlob(ctx: Ctx, account: string, blobId: string): boolean {
  const accId = accountId(ctx, account);
  return accId !== null && BlobFiles.isBlobId(blobId) && readableBlobSize(ctx, accId, blobId) !== undefined;
}

export async function readBlob(ctx: Ctx, account: string, blobId: string, range?: ByteRange): Promise<Buffer | null> {
  return mayReadBlob(ctx, account, blobId) ? ctx.blobs.read(blobId, range) : null;
}

export async function openBlob(ctx: Ctx, account: string, blobId: string, range?: ByteRange): Promise<ByteSource | null> {
  return mayReadBlob(ctx, account, blobId) ? ctx.blobs.open(blobId, range) : null;
}

export function blobSize(ctx: Ctx, account: string, blobId: string): number | null {
  const accId = accountId(ctx, account);
  if (accId === null || !BlobFiles.isBlobId(blobId)) return null;
  return readableBlobSize(ctx, accId, blobId) ?? null;
}

export function emailsWithBlob(ctx: Ctx, account: string, blobId: string): string[] {
  const accId = accountId(ctx, account);
  if (accId === null || !BlobFiles.isBlobId(blobId)) return [];
  const rows = sql(ctx, 'SELECT id FROM email WHERE account_id = ? AND blob = ? ORDER BY id').all(accId, blobId) as { id: number }[];
  return rows.map((r) => encodeId('e', r.id));
}

export function getSetting(ctx: Ctx, account: string, key: string): SettingValue {
  const accId = acc(ctx, account);
  const row = sql(ctx, 'SELECT value, state FROM setting WHERE account_id = ? AND key = ?').get(accId, key) as
    | { value: string | null; state: number }
    | undefined;
  if (!row) return { value: null, state: '0' };
  return { value: row.value === null ? null : (JSON.parse(row.value) as JsonValue), state: String(row.state) };
}

export async function setSetting(
  ctx: Ctx,
  account: string,
  key: string,
  input: SettingInput,
  options?: WriteOptions & { ifInState?: string },
): Promise<string> {
  const accId = acc(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const state = writeTx(ctx, () => {
    const current = getSetting(ctx, account, key);
    if (options?.ifInState !== undefined && options.ifInState !== current.state) throw new StateMismatchError(options.ifInState, current.state);
    const modseq = allocModseq(ctx, accId);
    const value = typeof input === 'function' ? input(String(modseq)) : input;
    sql(ctx, 'INSERT OR REPLACE INTO setting (account_id, key, value, state) VALUES (?, ?, ?, ?)')
      .run(accId, key, value === null ? null : JSON.stringify(value), modseq);
    batch.extraState(`Setting:${key}`, String(modseq));
    return String(modseq);
  });
  await publishAll(ctx, batch.events(ctx));
  return state;
}

export interface OutboundRow {
  id: number;
  account: string | null;
  sender: string;
  recipients: string;
  blob: string;
  size: number;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  last_error: string | null;
  status: OutboundStatus;
  lease_owner: string | null;
  lease_until: number | null;
  meta: string;
  envelope: string;
}

export function toItem(r: OutboundRow): OutboundItem {
  return {
    id: encodeId('q', r.id),
    account: r.account,
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as OutboundRecipient[],
    blobId: r.blob,
    size: r.size,
    createdAt: new Date(r.created_at),
    nextAttemptAt: new Date(r.next_attempt_at),
    attempts: r.attempts,
    lastError: r.last_error,
    status: r.status,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until === null ? null : new Date(r.lease_until),
    meta: JSON.parse(r.meta) as JsonValue,
    envelope: JSON.parse(r.envelope) as EnvelopeOptions,
  };
}

export async function enqueueOutbound(ctx: Ctx, input: EnqueueInput): Promise<OutboundItem> {
  if (!input.recipients.length) throw new InvalidArgumentError('an outbound message needs recipients');
  const blob = await storeBlob(ctx.blobs, input.bytes);
  const size = Buffer.isBuffer(input.bytes) ? input.bytes.length : input.bytes.size;
  const recipients: OutboundRecipient[] = input.recipients.map((r) =>
    typeof r === 'string' ? { address: r, status: 'pending', lastResponse: null } : { ...r, status: 'pending', lastResponse: null },
  );
  const now = Date.now();
  const row = sql(ctx, 
      `INSERT INTO outbound (account, sender, recipients, blob, size, created_at, next_attempt_at, status, meta, envelope)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING *`,
    )
    .get(
      input.account ?? null,
      input.sender,
      JSON.stringify(recipients),
      blob,
      size,
      now,
      (input.nextAttemptAt ?? new Date(now)).getTime(),
      JSON.stringify(input.meta ?? null),
      JSON.stringify(input.envelope ?? {}),
    ) as OutboundRow;
  return toItem(row);
}

export function claimOutbound(ctx: Ctx, req: ClaimRequest): OutboundItem[] {
  const now = (req.now ?? new Date()).getTime();
  return writeTx(ctx, () => {
    const rows = sql(ctx, 
        `UPDATE outbound SET lease_owner = ?, lease_until = ?
          WHERE id IN (SELECT id FROM outbound WHERE status = 'queued' AND next_attempt_at <= ?
                         AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT ?)
          RETURNING *`,
      )
      .all(req.owner, now + req.leaseMs, now, now, req.limit) as OutboundRow[];
    return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id).map(toItem);
  });
}

export function renewOutboundLease(ctx: Ctx, id: string, owner: string, leaseMs: number, now: Date = new Date()): boolean {
  const rowId = decodeId('q', id);
  if (rowId === null) return false;
  const t = now.getTime();
  return writeTx(ctx, () => sql(ctx, "UPDATE outbound SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'queued'").run(t + leaseMs, rowId, owner).changes === 1);
}

export function recordDeliveryAttempt(ctx: Ctx, id: string, owner: string, attempt: DeliveryAttempt): OutboundItem {
  const rowId = decodeId('q', id);
  if (rowId === null) throw new InvalidArgumentError(`no such queue item ${id}`);
  return writeTx(ctx, () => {
    const row = sql(ctx, 'SELECT * FROM outbound WHERE id = ?').get(rowId) as OutboundRow | undefined;
    if (!row) throw new InvalidArgumentError(`no such queue item ${id}`);
    if (row.lease_owner !== owner) throw new InvalidArgumentError(`queue item ${id} is not leased by ${owner}`);
    const recipients = JSON.parse(row.recipients) as OutboundRecipient[];
    for (const r of attempt.results) {
      const rcpt = recipients.find((x) => x.address === r.address && x.status === 'pending');
      if (!rcpt) continue;
      rcpt.lastResponse = r.response ?? null;
      if (r.delayReported) rcpt.delayReported = true;
      if (r.outcome === 'delivered') rcpt.status = 'delivered';
      else if (r.outcome === 'failed') rcpt.status = 'failed';
    }
    if (attempt.nextAttemptAt === null) for (const r of recipients) if (r.status === 'pending') r.status = 'failed';
    const pending = recipients.some((r) => r.status === 'pending');
    const updated = sql(ctx, 
        `UPDATE outbound SET recipients = ?, attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = ?,
           lease_owner = NULL, lease_until = NULL WHERE id = ? RETURNING *`,
      )
      .get(
        JSON.stringify(recipients),
        attempt.error ?? row.last_error,
        pending ? 'queued' : 'done',
        attempt.nextAttemptAt ? attempt.nextAttemptAt.getTime() : row.next_attempt_at,
        rowId,
      ) as OutboundRow;
    return toItem(updated);
  });
}

export function getOutbound(ctx: Ctx, id: string): OutboundItem | null {
  const rowId = decodeId('q', id);
  if (rowId === null) return null;
  const row = sql(ctx, 'SELECT * FROM outbound WHERE id = ?').get(rowId) as OutboundRow | undefined;
  return row ? toItem(row) : null;
}

export function listOutbound(ctx: Ctx, filter?: { account?: string; status?: OutboundStatus }): OutboundItem[] {
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
  const text = `SELECT * FROM outbound ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`;
  return (sql(ctx, text).all(...params) as OutboundRow[]).map(toItem);
}

export async function openOutbound(ctx: Ctx, id: string): Promise<ByteSource | null> {
  const item = getOutbound(ctx, id);
  return item ? ctx.blobs.open(item.blobId) : null;
}

export function removeOutbound(ctx: Ctx, id: string, now: Date): boolean {
  const rowId = decodeId('q', id);
  if (rowId === null) return false;
  const t = now.getTime();
  return writeTx(ctx, () => sql(ctx, "DELETE FROM outbound WHERE id = ? AND status = 'queued' AND (lease_until IS NULL OR lease_until <= ?)").run(rowId, t).changes > 0);
}

export function rescheduleOutbound(ctx: Ctx, at: Date): number {
  const t = at.getTime();
  return writeTx(ctx, () => Number(sql(ctx, "UPDATE outbound SET next_attempt_at = ? WHERE status = 'queued' AND next_attempt_at > ?").run(t, t).changes));
}

/** Blobs (files, inline rows) younger than this are never collected: an append may be about to reference them. */
const GC_GRACE_MS = 60 * 60 * 1000;

export async function collectGarbage(ctx: Ctx, now: Date): Promise<number> {
  const t = now.getTime();
  let removed = 0;
  writeTx(ctx, () => {
    sql(ctx, 'DELETE FROM upload WHERE expires_at <= ?').run(t);
    // Old change records: drop them and raise each account's floor so older states are refused.
    const horizon = t - ctx.retentionMs;
    const floors = sql(ctx, 'SELECT account_id, max(destroyed_modseq) AS m FROM tombstone WHERE destroyed_at <= ? GROUP BY account_id')
      .all(horizon) as { account_id: number; m: number }[];
    for (const f of floors) {
      sql(ctx, 'UPDATE account SET changes_floor = max(changes_floor, ?) WHERE id = ?').run(f.m, f.account_id);
      sql(ctx, 'DELETE FROM tombstone WHERE account_id = ? AND destroyed_modseq <= ?').run(f.account_id, f.m);
      sql(ctx, 'DELETE FROM expunged WHERE modseq <= ? AND mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?)')
        .run(f.m, f.account_id);
    }
    // Inline blobs, as files below; in a transaction, so never between an append's check that a
    // stored blob exists and its commit.
    removed += ctx.blobs.collectInline(t - GC_GRACE_MS);
  });
  const referenced = sql(ctx, 
    'SELECT 1 FROM email WHERE blob = ? UNION ALL SELECT 1 FROM upload WHERE blob = ? UNION ALL SELECT 1 FROM outbound WHERE blob = ? AND status = \'queued\' UNION ALL SELECT 1 FROM sieve_script WHERE blob = ? LIMIT 1',
  );
  const { stat } = await import('node:fs/promises');
  const files = ctx.blobs.files;
  for await (const hash of files.list()) {
    if (referenced.get(hash, hash, hash, hash)) continue;
    try {
      const st = await stat(files.pathOf(hash));
      if (t - st.mtimeMs < GC_GRACE_MS) continue;
    } catch {
      continue;
    }
    if (referenced.get(hash, hash, hash, hash)) continue;
    await files.remove(hash);
    removed++;
  }
  return removed;
}
