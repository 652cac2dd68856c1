// The store's SieveScriptStore over PostgreSQL (tables sieve_script and sieve_account; content in
// the blob tables), as the SQLite engine (../sqlite/sieve-scripts.ts): changes are stamped with the
// account's modseq, destroyed scripts leave a 'SieveScript' tombstone, limits are checked inside the
// write transaction (which holds the account row, so two writers cannot both take the last slot).
import type {
  SieveScript,
  SieveScriptChanges,
  SieveScriptInfo,
  SieveScriptLimits,
  SieveWriteOptions,
} from '../api/sieve-scripts.js';
import { NoSuchSieveScriptError, OverQuotaError, SieveScriptActiveError, SieveScriptExistsError, StateMismatchError, InvalidArgumentError } from '../errors.js';
import { accountId, allocModseq, readTx, requireAccount, writeTx, type Ctx } from './context.js';
import type { Conn } from './db.js';
import { ChangeBatch } from './batch.js';
import { tombstone } from './mutations.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { SIEVE_STATE_TYPE, checkSieveScriptName, scriptWithContent } from '../sqlite/sieve-scripts.js';
import { storeBlob } from '../ingest.js';
import { classifyChanges, sinceModseq, windowChanges } from '../changes-window.js';

interface Row {
  id: number;
  name: string;
  blob: string;
  size: number;
  created_modseq: number;
  active: boolean;
}

const SELECT = `SELECT s.id, s.name, s.blob, s.size, s.created_modseq, (a.active_id IS NOT DISTINCT FROM s.id) AS active
  FROM sieve_script s LEFT JOIN sieve_account a ON a.account_id = s.account_id`;

function info(r: Row): SieveScriptInfo {
  return { id: encodeId('s', r.id), name: r.name, blobId: r.blob, size: r.size, isActive: r.active };
}

async function byName(q: Conn, accId: number, name: string): Promise<Row | undefined> {
  return q.get<Row>(`${SELECT} WHERE s.account_id = ? AND s.name = ?`, accId, name);
}

async function stateOf(q: Conn, accId: number): Promise<number> {
  const row = await q.get<{ state: number }>('SELECT state FROM sieve_account WHERE account_id = ?', accId);
  return row?.state ?? 0;
}

async function withContent(ctx: Ctx, row: Row | undefined): Promise<SieveScript | null> {
  return row === undefined ? null : scriptWithContent(ctx.blobs, info(row));
}

export async function listSieveScripts(ctx: Ctx, account: string): Promise<SieveScriptInfo[]> {
  const accId = await accountId(ctx, account);
  if (accId === null) return [];
  return (await ctx.q.all<Row>(`${SELECT} WHERE s.account_id = ? ORDER BY s.name`, accId)).map(info);
}

export async function getSieveScript(ctx: Ctx, account: string, name: string): Promise<SieveScript | null> {
  const accId = await accountId(ctx, account);
  return withContent(ctx, accId === null ? undefined : await byName(ctx.q, accId, name));
}

export async function getSieveScriptById(ctx: Ctx, account: string, id: string): Promise<SieveScript | null> {
  const accId = await accountId(ctx, account);
  const rowId = decodeId('s', id);
  if (accId === null || rowId === null) return null;
  return withContent(ctx, await ctx.q.get<Row>(`${SELECT} WHERE s.account_id = ? AND s.id = ?`, accId, rowId));
}

export async function getActiveSieveScript(ctx: Ctx, account: string): Promise<SieveScript | null> {
  const accId = await accountId(ctx, account);
  if (accId === null) return null;
  return withContent(ctx, await ctx.q.get<Row>(`${SELECT} WHERE s.account_id = ? AND a.active_id = s.id`, accId));
}

export async function sieveScriptState(ctx: Ctx, account: string): Promise<string> {
  const accId = await accountId(ctx, account);
  return String(accId === null ? 0 : await stateOf(ctx.q, accId));
}

/**
 * Runs one script write: checks ifInState, allocates the modseq the change is stamped with (on the
 * first call of `modseq`), records it as the account's SieveScript state and publishes the state
 * change after commit.
 */
async function sieveWrite<T>(
  ctx: Ctx,
  account: string,
  options: SieveWriteOptions | undefined,
  fn: (q: Conn, accId: number, modseq: () => Promise<number>) => Promise<T>,
): Promise<T> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const { out } = await writeTx(ctx, accId, async (q) => {
    const current = String(await stateOf(q, accId));
    if (options?.ifInState !== undefined && options.ifInState !== current) throw new StateMismatchError(options.ifInState, current);
    let modseq: number | undefined;
    const result = await fn(q, accId, async () => {
      if (modseq === undefined) {
        modseq = await allocModseq(q, accId);
        await q.run(
          'INSERT INTO sieve_account (account_id, state) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET state = excluded.state',
          accId,
          modseq,
        );
        batch.extraState(SIEVE_STATE_TYPE, String(modseq));
      }
      return modseq;
    });
    return { out: result, events: await batch.events(q) };
  }, (r) => r.events);
  return out;
}

async function checkLimits(q: Conn, account: string, accId: number, size: number, isNew: boolean, limits: SieveScriptLimits | undefined): Promise<void> {
  if (!limits) return;
  if (limits.maxSize > 0 && size > limits.maxSize) throw new OverQuotaError(account, 'sieveScriptSize', size, limits.maxSize);
  if (isNew && limits.maxScripts > 0) {
    const count = (await q.get<{ n: number }>('SELECT count(*) AS n FROM sieve_script WHERE account_id = ?', accId))!.n;
    if (count + 1 > limits.maxScripts) throw new OverQuotaError(account, 'sieveScripts', count + 1, limits.maxScripts);
  }
}

export async function putSieveScript(ctx: Ctx, account: string, name: string, content: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
  checkSieveScriptName(name);
  const bytes = Buffer.from(content, 'utf8');
  const accId = await requireAccount(ctx, account);
  // Refused before the blob is written, so an oversized upload leaves nothing behind.
  await checkLimits(ctx.q, account, accId, bytes.length, false, options?.limits);
  // The blob is written before the row that references it; one left by a failed transaction is
  // collected by garbage collection.
  const blob = await storeBlob(ctx.blobs, bytes);
  return sieveWrite(ctx, account, options, async (q, id, modseq) => {
    const existing = await byName(q, id, name);
    await checkLimits(q, account, id, bytes.length, existing === undefined, options?.limits);
    const m = await modseq();
    if (existing) {
      await q.run('UPDATE sieve_script SET blob = ?, size = ?, updated_modseq = ? WHERE id = ?', blob, bytes.length, m, existing.id);
      return info({ ...existing, blob, size: bytes.length });
    }
    const row = (await q.get<{ id: number }>(
      'INSERT INTO sieve_script (account_id, name, blob, size, created_modseq, updated_modseq) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      id,
      name,
      blob,
      bytes.length,
      m,
      m,
    ))!;
    return info({ id: row.id, name, blob, size: bytes.length, created_modseq: m, active: false });
  });
}

export function renameSieveScript(ctx: Ctx, account: string, oldName: string, newName: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
  checkSieveScriptName(newName);
  return sieveWrite(ctx, account, options, async (q, accId, modseq) => {
    const row = await byName(q, accId, oldName);
    if (!row) throw new NoSuchSieveScriptError(oldName);
    if (await byName(q, accId, newName)) throw new SieveScriptExistsError(newName);
    await q.run('UPDATE sieve_script SET name = ?, updated_modseq = ? WHERE id = ?', newName, await modseq(), row.id);
    return info({ ...row, name: newName });
  });
}

export function deleteSieveScript(ctx: Ctx, account: string, name: string, options?: SieveWriteOptions): Promise<void> {
  return sieveWrite(ctx, account, options, async (q, accId, modseq) => {
    const row = await byName(q, accId, name);
    if (!row) throw new NoSuchSieveScriptError(name);
    if (row.active) throw new SieveScriptActiveError(name);
    const m = await modseq();
    await q.run('DELETE FROM sieve_script WHERE id = ?', row.id);
    await tombstone(q, accId, SIEVE_STATE_TYPE, row.id, row.created_modseq, m);
  });
}

export function setActiveSieveScript(ctx: Ctx, account: string, name: string | null, options?: SieveWriteOptions): Promise<void> {
  return sieveWrite(ctx, account, options, async (q, accId, modseq) => {
    const target = name === null ? undefined : await byName(q, accId, name);
    if (name !== null && !target) throw new NoSuchSieveScriptError(name);
    const current = (await q.get<{ active_id: number | null }>('SELECT active_id FROM sieve_account WHERE account_id = ?', accId))?.active_id ?? null;
    const next = target?.id ?? null;
    if (current === next) return; // already so: no change, no new state
    const m = await modseq();
    // Both scripts' isActive changed: both are stamped, so /changes reports both as updated.
    await q.run('UPDATE sieve_script SET updated_modseq = ? WHERE id IN (?, ?)', m, current ?? -1, next ?? -1);
    await q.run('UPDATE sieve_account SET active_id = ? WHERE account_id = ?', next, accId);
  });
}

export async function sieveScriptChanges(ctx: Ctx, account: string, sinceState: string, maxChanges = 5000): Promise<SieveScriptChanges> {
  const accId = await requireAccount(ctx, account);
  if (!Number.isInteger(maxChanges) || maxChanges < 1) throw new InvalidArgumentError('maxChanges must be a positive integer');
  return readTx(ctx, async (q) => {
    const a = (await q.get<{ changes_floor: number; modseq: number }>('SELECT changes_floor, modseq FROM account WHERE id = ?', accId))!;
    const since = sinceModseq(sinceState, a.modseq, a.changes_floor);
    type Raw = { id: number; created: number; last: number; destroyed: boolean };
    const live = await q.all<Raw>(
      'SELECT id, created_modseq AS created, updated_modseq AS last, false AS destroyed FROM sieve_script WHERE account_id = ? AND updated_modseq > ?',
      accId,
      since,
    );
    const dead = await q.all<Raw>(
      `SELECT object_id AS id, created_modseq AS created, destroyed_modseq AS last, true AS destroyed
         FROM tombstone WHERE account_id = ? AND type = ? AND destroyed_modseq > ? AND created_modseq <= ?`,
      accId,
      SIEVE_STATE_TYPE,
      since,
      since,
    );
    const window = windowChanges([...live, ...dead], since, maxChanges, await stateOf(q, accId));
    const { created, updated, destroyed } = classifyChanges(window.items, since, (id) => encodeId('s', id));
    return { oldState: sinceState, newState: window.newState, hasMoreChanges: window.hasMore, created, updated, destroyed };
  });
}
