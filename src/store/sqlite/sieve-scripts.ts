// The store's SieveScriptStore over SQLite (tables sieve_script and sieve_account of store.sqlite;
// content in blob files). Each write is one ordinary (synchronous=FULL) commit, so a script a client
// was told is stored is on disk. Changes are stamped with the account's modseq like mailboxes and
// emails, destroyed scripts leave a tombstone of type 'SieveScript', so SieveScript/changes is
// answered like Mailbox/changes and the purge of old tombstones covers it.
import type {
  SieveScript,
  SieveScriptChanges,
  SieveScriptInfo,
  SieveScriptLimits,
  SieveWriteOptions,
} from '../api/sieve-scripts.js';
import {
  NoSuchMailboxError,
  NoSuchSieveScriptError,
  OverQuotaError,
  SieveScriptActiveError,
  SieveScriptExistsError,
  StateMismatchError,
  InvalidArgumentError,
} from '../errors.js';
import { accountId, allocModseq, nextId, publishAll, readTx, sql, writeTx, type Ctx } from './context.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from './ids.js';
import { storeBlob } from '../ingest.js';
import { classifyChanges, sinceModseq, windowChanges } from '../changes-window.js';

/** The state name published in state-changed events and used as the tombstone type. */
export const SIEVE_STATE_TYPE = 'SieveScript';

interface Row {
  id: number;
  name: string;
  blob: string;
  size: number;
  created_modseq: number;
  active: number;
}

const SELECT = `SELECT s.id, s.name, s.blob, s.size, s.created_modseq, (a.active_id IS s.id) AS active
  FROM sieve_script s LEFT JOIN sieve_account a ON a.account_id = s.account_id`;

function info(r: Row): SieveScriptInfo {
  return { id: encodeId('s', r.id), name: r.name, blobId: r.blob, size: r.size, isActive: r.active === 1 };
}

function requireAccount(ctx: Ctx, account: string): number {
  const id = accountId(ctx, account);
  if (id === null) throw new NoSuchMailboxError(`account ${account}`);
  return id;
}

function byName(ctx: Ctx, accId: number, name: string): Row | undefined {
  return sql(ctx, `${SELECT} WHERE s.account_id = ? AND s.name = ?`).get(accId, name) as Row | undefined;
}

function stateOf(ctx: Ctx, accId: number): number {
  const row = sql(ctx, 'SELECT state FROM sieve_account WHERE account_id = ?').get(accId) as { state: number } | undefined;
  return row?.state ?? 0;
}

/** The script with its content read from the blob store (shared by both engines). */
export async function scriptWithContent(blobs: { read(hash: string): Promise<Buffer | null> }, script: SieveScriptInfo): Promise<SieveScript> {
  const bytes = await blobs.read(script.blobId);
  // A missing blob would mean lost data: say so rather than run or serve an empty script.
  if (bytes === null) throw new Error(`sieve script ${script.id}: content blob ${script.blobId} is missing`);
  return { ...script, content: bytes.toString('utf8') };
}

async function withContent(ctx: Ctx, row: Row | undefined): Promise<SieveScript | null> {
  return row === undefined ? null : scriptWithContent(ctx.blobs, info(row));
}

export function listSieveScripts(ctx: Ctx, account: string): SieveScriptInfo[] {
  const accId = accountId(ctx, account);
  if (accId === null) return [];
  return (sql(ctx, `${SELECT} WHERE s.account_id = ? ORDER BY s.name`).all(accId) as Row[]).map(info);
}

export function getSieveScript(ctx: Ctx, account: string, name: string): Promise<SieveScript | null> {
  const accId = accountId(ctx, account);
  return withContent(ctx, accId === null ? undefined : byName(ctx, accId, name));
}

export function getSieveScriptById(ctx: Ctx, account: string, id: string): Promise<SieveScript | null> {
  const accId = accountId(ctx, account);
  const rowId = decodeId('s', id);
  if (accId === null || rowId === null) return Promise.resolve(null);
  return withContent(ctx, sql(ctx, `${SELECT} WHERE s.account_id = ? AND s.id = ?`).get(accId, rowId) as Row | undefined);
}

export function getActiveSieveScript(ctx: Ctx, account: string): Promise<SieveScript | null> {
  const accId = accountId(ctx, account);
  if (accId === null) return Promise.resolve(null);
  const row = sql(ctx, `${SELECT} WHERE s.account_id = ? AND a.active_id = s.id`).get(accId) as Row | undefined;
  return withContent(ctx, row);
}

export function sieveScriptState(ctx: Ctx, account: string): string {
  const accId = accountId(ctx, account);
  return String(accId === null ? 0 : stateOf(ctx, accId));
}

/**
 * Runs one script write: checks ifInState, allocates the modseq the change is stamped with, records
 * it as the account's SieveScript state and publishes the state change after commit.
 */
async function sieveWrite<T>(ctx: Ctx, account: string, options: SieveWriteOptions | undefined, fn: (accId: number, modseq: () => number) => T): Promise<T> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const result = writeTx(ctx, () => {
    const current = String(stateOf(ctx, accId));
    if (options?.ifInState !== undefined && options.ifInState !== current) throw new StateMismatchError(options.ifInState, current);
    let modseq: number | undefined;
    const out = fn(accId, () => {
      if (modseq === undefined) {
        modseq = allocModseq(ctx, accId);
        sql(ctx, 'INSERT INTO sieve_account (account_id, state) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET state = excluded.state')
          .run(accId, modseq);
        batch.extraState(SIEVE_STATE_TYPE, String(modseq));
      }
      return modseq;
    });
    return out;
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

/** Refuses names ManageSieve cannot carry (shared by both engines). */
export function checkSieveScriptName(name: string): void {
  // RFC 5804 §1.6: no control characters, no line separators; 1024 octets is Dovecot's and Cyrus'
  // practical bound and keeps names out of the way of the line limits.
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 1024) throw new InvalidArgumentError('a script name has 1 to 1024 octets', 'name');
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) throw new InvalidArgumentError('a script name cannot contain control characters', 'name');
}

function checkLimits(ctx: Ctx, account: string, accId: number, size: number, isNew: boolean, limits: SieveScriptLimits | undefined): void {
  if (!limits) return;
  if (limits.maxSize > 0 && size > limits.maxSize) throw new OverQuotaError(account, 'sieveScriptSize', size, limits.maxSize);
  if (isNew && limits.maxScripts > 0) {
    const count = (sql(ctx, 'SELECT count(*) AS n FROM sieve_script WHERE account_id = ?').get(accId) as { n: number }).n;
    if (count + 1 > limits.maxScripts) throw new OverQuotaError(account, 'sieveScripts', count + 1, limits.maxScripts);
  }
}

export async function putSieveScript(ctx: Ctx, account: string, name: string, content: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
  checkSieveScriptName(name);
  const bytes = Buffer.from(content, 'utf8');
  const accId = requireAccount(ctx, account);
  // Refused before the blob is written, so an oversized upload leaves nothing behind.
  checkLimits(ctx, account, accId, bytes.length, false, options?.limits);
  // The blob is written (and synced) before the row that references it; an unreferenced one left by
  // a failed transaction is collected like an expired upload.
  const blob = await storeBlob(ctx.blobs, bytes);
  return sieveWrite(ctx, account, options, (id, modseq) => {
    const existing = byName(ctx, id, name);
    checkLimits(ctx, account, id, bytes.length, existing === undefined, options?.limits);
    const m = modseq();
    if (existing) {
      sql(ctx, 'UPDATE sieve_script SET blob = ?, size = ?, updated_modseq = ? WHERE id = ?').run(blob, bytes.length, m, existing.id);
      return info({ ...existing, blob, size: bytes.length });
    }
    const rowId = nextId(ctx, 'sieve_script');
    sql(ctx, 'INSERT INTO sieve_script (id, account_id, name, blob, size, created_modseq, updated_modseq) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(rowId, id, name, blob, bytes.length, m, m);
    return info({ id: rowId, name, blob, size: bytes.length, created_modseq: m, active: 0 });
  });
}

export function renameSieveScript(ctx: Ctx, account: string, oldName: string, newName: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
  checkSieveScriptName(newName);
  return sieveWrite(ctx, account, options, (accId, modseq) => {
    const row = byName(ctx, accId, oldName);
    if (!row) throw new NoSuchSieveScriptError(oldName);
    if (byName(ctx, accId, newName)) throw new SieveScriptExistsError(newName);
    sql(ctx, 'UPDATE sieve_script SET name = ?, updated_modseq = ? WHERE id = ?').run(newName, modseq(), row.id);
    return info({ ...row, name: newName });
  });
}

export function deleteSieveScript(ctx: Ctx, account: string, name: string, options?: SieveWriteOptions): Promise<void> {
  return sieveWrite(ctx, account, options, (accId, modseq) => {
    const row = byName(ctx, accId, name);
    if (!row) throw new NoSuchSieveScriptError(name);
    if (row.active === 1) throw new SieveScriptActiveError(name);
    const m = modseq();
    sql(ctx, 'DELETE FROM sieve_script WHERE id = ?').run(row.id);
    sql(
      ctx,
      'INSERT OR REPLACE INTO tombstone (account_id, type, object_id, created_modseq, destroyed_modseq, destroyed_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(accId, SIEVE_STATE_TYPE, row.id, row.created_modseq, m, Date.now());
  });
}

export function setActiveSieveScript(ctx: Ctx, account: string, name: string | null, options?: SieveWriteOptions): Promise<void> {
  return sieveWrite(ctx, account, options, (accId, modseq) => {
    const target = name === null ? undefined : byName(ctx, accId, name);
    if (name !== null && !target) throw new NoSuchSieveScriptError(name);
    const current = sql(ctx, 'SELECT active_id FROM sieve_account WHERE account_id = ?').pluck().get(accId) as number | null | undefined;
    const next = target?.id ?? null;
    if ((current ?? null) === next) return; // already so: no change, no new state
    const m = modseq();
    // Both scripts' isActive changed: both are stamped, so /changes reports both as updated.
    sql(ctx, 'UPDATE sieve_script SET updated_modseq = ? WHERE id IN (?, ?)').run(m, current ?? -1, next ?? -1);
    sql(ctx, 'UPDATE sieve_account SET active_id = ? WHERE account_id = ?').run(next, accId);
  });
}

export function sieveScriptChanges(ctx: Ctx, account: string, sinceState: string, maxChanges = 5000): SieveScriptChanges {
  const accId = requireAccount(ctx, account);
  if (!Number.isInteger(maxChanges) || maxChanges < 1) throw new InvalidArgumentError('maxChanges must be a positive integer');
  return readTx(ctx, () => {
    const a = sql(ctx, 'SELECT changes_floor, modseq FROM account WHERE id = ?').get(accId) as { changes_floor: number; modseq: number };
    const since = sinceModseq(sinceState, a.modseq, a.changes_floor);
    type Raw = { id: number; created: number; last: number; destroyed: number };
    const live = sql(ctx, 'SELECT id, created_modseq AS created, updated_modseq AS last, 0 AS destroyed FROM sieve_script WHERE account_id = ? AND updated_modseq > ?')
      .all(accId, since) as Raw[];
    const dead = sql(
      ctx,
      `SELECT object_id AS id, created_modseq AS created, destroyed_modseq AS last, 1 AS destroyed
         FROM tombstone WHERE account_id = ? AND type = ? AND destroyed_modseq > ? AND created_modseq <= ?`,
    ).all(accId, SIEVE_STATE_TYPE, since, since) as Raw[];
    const items = [...live, ...dead].map((r) => ({ id: r.id, created: r.created, last: r.last, destroyed: r.destroyed === 1 }));
    const window = windowChanges(items, since, maxChanges, stateOf(ctx, accId));
    const { created, updated, destroyed } = classifyChanges(window.items, since, (id) => encodeId('s', id));
    return { oldState: sinceState, newState: window.newState, hasMoreChanges: window.hasMore, created, updated, destroyed };
  });
}
