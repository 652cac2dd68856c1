// Accounts and mailboxes: creation with special-use folders, hierarchy, rename (IMAP INBOX rule),
// delete, subscriptions and \Recent claims.
import type { Account, CreateMailboxSpec, DeleteMailboxOptions, Mailbox, MailboxRole, MailboxUpdate, WriteOptions } from '../types.js';
import {
  ForbiddenError,
  InvalidArgumentError,
  InvalidNameError,
  MailboxExistsError,
  MailboxHasChildrenError,
  MailboxNotEmptyError,
  NoSuchMailboxError,
} from '../errors.js';
import type { Ctx, MailboxRow } from './context.js';
import { accountId, allocModseq, nextId, publishAll, noteFtsChange, requireMailbox, toMailbox, writeTx, readTx, sql } from './context.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from './ids.js';
import { placeEmail, removeMembership, settleEmail, tombstone } from './mutations.js';

export const SPECIAL_USE: Array<{ path: string; role: MailboxRole }> = [
  { path: 'INBOX', role: 'inbox' },
  { path: 'Drafts', role: 'drafts' },
  { path: 'Sent', role: 'sent' },
  { path: 'Trash', role: 'trash' },
  { path: 'Junk', role: 'junk' },
  { path: 'Archive', role: 'archive' },
];

export async function ensureAccount(ctx: Ctx, account: string): Promise<Account> {
  if (!account || account.length > 320) throw new InvalidArgumentError('invalid account name');
  const existing = getAccountSync(ctx, account);
  if (existing) return existing;
  const batch = writeTx(ctx, () => {
    if (accountId(ctx, account) !== null) return null;
    const info = sql(ctx, 'INSERT INTO account (name, created_at) VALUES (?, ?)').run(account, Date.now());
    const accId = Number(info.lastInsertRowid);
    const b = new ChangeBatch(account, accId, undefined);
    SPECIAL_USE.forEach((s, i) => insertMailbox(ctx, b, accId, s.path, null, s.role, true, i));
    b.commitStates(ctx);
    return b;
  });
  if (batch) await publishAll(ctx, batch.events(ctx));
  return getAccountSync(ctx, account)!;
}

export function getAccountSync(ctx: Ctx, account: string): Account | null {
  const row = sql(ctx, 'SELECT name, created_at FROM account WHERE name = ?').get(account) as
    | { name: string; created_at: number }
    | undefined;
  return row ? { id: row.name, createdAt: new Date(row.created_at) } : null;
}

export function deleteAccountSync(ctx: Ctx, account: string): void {
  const accId = accountId(ctx, account);
  if (accId === null) return;
  writeTx(ctx, () => {
    // Deleting email_text logs each removal for the full-text index (fts_log triggers).
    noteFtsChange(ctx);
    for (const statement of [
      'DELETE FROM email_text WHERE email_id IN (SELECT id FROM email WHERE account_id = ?)',
      'DELETE FROM email_parsed WHERE email_id IN (SELECT id FROM email WHERE account_id = ?)',
      'DELETE FROM msg WHERE mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?)',
      'DELETE FROM expunged WHERE mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?)',
      'DELETE FROM email_ref WHERE account_id = ?',
      'DELETE FROM email WHERE account_id = ?',
      'DELETE FROM thread WHERE account_id = ?',
      'DELETE FROM tombstone WHERE account_id = ?',
      'DELETE FROM upload WHERE account_id = ?',
      'DELETE FROM setting WHERE account_id = ?',
      'DELETE FROM sieve_script WHERE account_id = ?',
      'DELETE FROM sieve_account WHERE account_id = ?',
      'DELETE FROM quota_limit_state WHERE account_id = ?',
      'DELETE FROM subscription WHERE account_id = ?',
      'DELETE FROM mailbox WHERE account_id = ?',
      'DELETE FROM account WHERE id = ?',
    ])
      sql(ctx, statement).run(accId);
    // What others granted the user, and what the user delegated or was delegated (the mailbox_acl
    // rows of the user's own mailboxes went with them).
    sql(ctx, 'DELETE FROM mailbox_acl WHERE identifier = ?').run(account);
    sql(ctx, 'DELETE FROM delegation WHERE owner = ? OR delegate = ?').run(account, account);
    // The user's /private annotations (its mailboxes' others went with them, by trigger).
    sql(ctx, 'DELETE FROM metadata WHERE owner = ?').run(account);
  });
}

/** Throws NoSuchMailboxError-like account errors as "no such mailbox" for unknown accounts. */
export function requireAccount(ctx: Ctx, account: string): number {
  const id = accountId(ctx, account);
  if (id === null) throw new NoSuchMailboxError(`account ${account}`);
  return id;
}

/** Validates and normalises a `/` path: INBOX spelled in capitals, no empty components. */
export function normalisePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidNameError(String(path), 'empty name');
  if (path.length > 1000) throw new InvalidNameError(path.slice(0, 40), 'name too long');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) throw new InvalidNameError(path, 'control characters');
  const parts = path.split('/');
  if (parts.some((p) => p === '')) throw new InvalidNameError(path, 'empty hierarchy level');
  if (parts[0]!.toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts.join('/');
}

function nextUidValidity(ctx: Ctx): number {
  const row = sql(ctx, "SELECT value FROM meta WHERE key = 'last_uidvalidity'").get() as { value: string } | undefined;
  const next = Math.max(Math.floor(Date.now() / 1000), (row ? Number(row.value) : 0) + 1) % 0xffffffff || 1;
  sql(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uidvalidity', ?)").run(String(next));
  return next;
}

function insertMailbox(
  ctx: Ctx,
  batch: ChangeBatch,
  accId: number,
  path: string,
  parentId: number | null,
  role: MailboxRole | null,
  subscribed: boolean,
  sortOrder: number,
): MailboxRow {
  const modseq = allocModseq(ctx, accId);
  // A subscription to the name, made while it had no mailbox, now belongs to the mailbox.
  const isSubscribed = takeOrphanSubscription(ctx, accId, path) || subscribed;
  const info = sql(ctx, 
      `INSERT INTO mailbox (id, account_id, path, parent_id, role, subscribed, sort_order, uid_validity, created_modseq, updated_modseq, props_modseq, highest_modseq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(nextId(ctx, 'mailbox'), accId, path, parentId, role, isSubscribed ? 1 : 0, sortOrder, nextUidValidity(ctx), modseq, modseq, modseq, modseq);
  const id = Number(info.lastInsertRowid);
  batch.event({ type: 'mailbox-created', account: batch.account, ...(batch.origin ? { origin: batch.origin } : {}), mailboxId: encodeId('m', id), path });
  batch.state('mailbox_state', modseq);
  return sql(ctx, 'SELECT * FROM mailbox WHERE id = ?').get(id) as MailboxRow;
}

function rowByPath(ctx: Ctx, accId: number, path: string): MailboxRow | null {
  return (sql(ctx, 'SELECT * FROM mailbox WHERE account_id = ? AND path = ?').get(accId, path) as MailboxRow | undefined) ?? null;
}

/** Creates the missing ancestors of `path` and returns the parent's id (null at top level). */
function ensureParents(ctx: Ctx, batch: ChangeBatch, accId: number, path: string): number | null {
  const parts = path.split('/');
  let parent: number | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    const row: MailboxRow = rowByPath(ctx, accId, p) ?? insertMailbox(ctx, batch, accId, p, parent, null, false, 0);
    parent = row.id;
  }
  return parent;
}

function checkRoleFree(ctx: Ctx, accId: number, role: MailboxRole | null | undefined, except?: number): void {
  if (!role) return;
  const row = sql(ctx, 'SELECT id FROM mailbox WHERE account_id = ? AND role = ?').get(accId, role) as { id: number } | undefined;
  if (row && row.id !== except) throw new InvalidArgumentError(`role ${role} is already used by another mailbox`, 'role');
}

export async function createMailbox(ctx: Ctx, account: string, spec: CreateMailboxSpec, options?: WriteOptions): Promise<Mailbox> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const row = writeTx(ctx, () => {
    let path: string;
    if ('path' in spec) path = normalisePath(spec.path.replace(/\/+$/, ''));
    else {
      if (spec.name.includes('/')) throw new InvalidNameError(spec.name, 'name contains the delimiter /');
      if (spec.parentId === null) path = normalisePath(spec.name);
      else {
        const parent = requireMailbox(ctx, accId, spec.parentId);
        path = normalisePath(`${parent.path}/${spec.name}`);
      }
    }
    if (rowByPath(ctx, accId, path)) throw new MailboxExistsError(path);
    checkRoleFree(ctx, accId, spec.role);
    const parentId = ensureParents(ctx, batch, accId, path);
    const created = insertMailbox(ctx, batch, accId, path, parentId, spec.role ?? null, spec.subscribed ?? false, spec.sortOrder ?? 0);
    batch.commitStates(ctx);
    return created;
  });
  await publishAll(ctx, batch.events(ctx));
  return toMailbox(ctx, row);
}

export async function renameMailbox(ctx: Ctx, account: string, mailboxId: string, newPath: string, options?: WriteOptions): Promise<Mailbox> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const row = writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const target = normalisePath(newPath);
    if (target === mb.path) return mb;
    if (rowByPath(ctx, accId, target)) throw new MailboxExistsError(target);
    if (target === 'INBOX' || target.startsWith('INBOX/') && mb.path === 'INBOX') {
      throw new ForbiddenError('cannot rename INBOX into itself');
    }
    if (target.startsWith(mb.path + '/')) throw new InvalidNameError(target, 'cannot move a mailbox into itself');
    const result = mb.path === 'INBOX' ? renameInbox(ctx, batch, accId, mb, target) : movePath(ctx, batch, accId, mb, target);
    batch.commitStates(ctx);
    return result;
  });
  await publishAll(ctx, batch.events(ctx));
  return toMailbox(ctx, row);
}

/** RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
function renameInbox(ctx: Ctx, batch: ChangeBatch, accId: number, inbox: MailboxRow, target: string): MailboxRow {
  const parentId = ensureParents(ctx, batch, accId, target);
  const created = insertMailbox(ctx, batch, accId, target, parentId, null, false, 0);
  const members = sql(ctx, 'SELECT uid, email_id, deleted FROM msg WHERE mailbox_id = ? ORDER BY uid').all(inbox.id) as {
    uid: number;
    email_id: number;
    deleted: number;
  }[];
  for (const m of members) {
    const modseq = allocModseq(ctx, accId);
    removeMembership(ctx, batch, inbox.id, m.uid, modseq);
    placeEmail(ctx, batch, created, m.email_id, modseq, m.deleted);
    settleEmail(ctx, batch, m.email_id, modseq);
  }
  return sql(ctx, 'SELECT * FROM mailbox WHERE id = ?').get(created.id) as MailboxRow;
}

function movePath(ctx: Ctx, batch: ChangeBatch, accId: number, mb: MailboxRow, target: string): MailboxRow {
  const parentId = ensureParents(ctx, batch, accId, target);
  const modseq = allocModseq(ctx, accId);
  const subtree = sql(ctx, "SELECT id, path FROM mailbox WHERE account_id = ? AND (id = ? OR substr(path, 1, ?) = ?)")
    .all(accId, mb.id, mb.path.length + 1, mb.path + '/') as { id: number; path: string }[];
  const update = sql(ctx, 'UPDATE mailbox SET path = ?, props_modseq = ?, updated_modseq = ? WHERE id = ?');
  for (const s of subtree) {
    const newPath = target + s.path.slice(mb.path.length);
    update.run(newPath, modseq, modseq, s.id);
    if (takeOrphanSubscription(ctx, accId, newPath)) sql(ctx, 'UPDATE mailbox SET subscribed = 1 WHERE id = ?').run(s.id);
    batch.event({
      type: 'mailbox-renamed',
      account: batch.account,
      ...(batch.origin ? { origin: batch.origin } : {}),
      mailboxId: encodeId('m', s.id),
      oldPath: s.path,
      newPath,
    });
  }
  sql(ctx, 'UPDATE mailbox SET parent_id = ? WHERE id = ?').run(parentId, mb.id);
  batch.state('mailbox_state', modseq);
  return sql(ctx, 'SELECT * FROM mailbox WHERE id = ?').get(mb.id) as MailboxRow;
}

export async function updateMailbox(ctx: Ctx, account: string, mailboxId: string, update: MailboxUpdate, options?: WriteOptions): Promise<Mailbox> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const row = writeTx(ctx, () => {
    let mb = requireMailbox(ctx, accId, mailboxId);
    if (update.name !== undefined || update.parentId !== undefined) {
      const name = update.name ?? mb.path.slice(mb.path.lastIndexOf('/') + 1);
      if (name.includes('/')) throw new InvalidNameError(name, 'name contains the delimiter /');
      if (name === '') throw new InvalidNameError(name, 'empty name');
      const parentId = update.parentId !== undefined ? update.parentId : mb.parent_id === null ? null : encodeId('m', mb.parent_id);
      let target = name;
      if (parentId !== null) {
        const parent = requireMailbox(ctx, accId, parentId);
        target = `${parent.path}/${name}`;
      }
      target = normalisePath(target);
      if (target !== mb.path) {
        if (mb.path === 'INBOX') throw new ForbiddenError('INBOX cannot be renamed or moved');
        if (rowByPath(ctx, accId, target)) throw new MailboxExistsError(target);
        if (target.startsWith(mb.path + '/')) throw new InvalidArgumentError('a mailbox cannot be its own descendant', 'parentId');
        mb = movePath(ctx, batch, accId, mb, target);
      }
    }
    const props: string[] = [];
    const values: (string | number | null)[] = [];
    if (update.role !== undefined) {
      if (mb.role === 'inbox' && update.role !== 'inbox') throw new ForbiddenError('the inbox role cannot be removed');
      checkRoleFree(ctx, accId, update.role, mb.id);
      props.push('role = ?');
      values.push(update.role);
    }
    if (update.subscribed !== undefined) {
      props.push('subscribed = ?');
      values.push(update.subscribed ? 1 : 0);
    }
    if (update.sortOrder !== undefined) {
      props.push('sort_order = ?');
      values.push(update.sortOrder);
    }
    if (props.length) {
      const modseq = allocModseq(ctx, accId);
      sql(ctx, `UPDATE mailbox SET ${props.join(', ')}, props_modseq = ?, updated_modseq = ? WHERE id = ?`).run(...values, modseq, modseq, mb.id);
      batch.state('mailbox_state', modseq);
      batch.event({ type: 'mailbox-updated', account, ...(options?.origin ? { origin: options.origin } : {}), mailboxId: encodeId('m', mb.id), path: mb.path });
    }
    batch.commitStates(ctx);
    return sql(ctx, 'SELECT * FROM mailbox WHERE id = ?').get(mb.id) as MailboxRow;
  });
  await publishAll(ctx, batch.events(ctx));
  return toMailbox(ctx, row);
}

export async function deleteMailbox(ctx: Ctx, account: string, mailboxId: string, options: DeleteMailboxOptions): Promise<void> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options.origin);
  writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    if (mb.path === 'INBOX' || mb.role === 'inbox') throw new ForbiddenError('INBOX cannot be deleted');
    if (sql(ctx, 'SELECT 1 FROM mailbox WHERE parent_id = ? LIMIT 1').get(mb.id)) throw new MailboxHasChildrenError(mb.path);
    const members = sql(ctx, 'SELECT uid, email_id FROM msg WHERE mailbox_id = ? ORDER BY uid').all(mb.id) as { uid: number; email_id: number }[];
    if (members.length && !options.removeEmails) throw new MailboxNotEmptyError(mb.path);
    for (const m of members) {
      const modseq = allocModseq(ctx, accId);
      sql(ctx, 'DELETE FROM msg WHERE mailbox_id = ? AND uid = ?').run(mb.id, m.uid);
      settleEmail(ctx, batch, m.email_id, modseq);
    }
    const modseq = allocModseq(ctx, accId);
    sql(ctx, 'DELETE FROM expunged WHERE mailbox_id = ?').run(mb.id);
    sql(ctx, 'DELETE FROM mailbox WHERE id = ?').run(mb.id);
    // The subscription outlives the mailbox (RFC 3501 §6.3.4).
    if (mb.subscribed) sql(ctx, 'INSERT OR IGNORE INTO subscription (account_id, path) VALUES (?, ?)').run(accId, mb.path);
    tombstone(ctx, accId, 'Mailbox', mb.id, mb.created_modseq, modseq);
    batch.state('mailbox_state', modseq);
    batch.event({ type: 'mailbox-deleted', account, ...(options.origin ? { origin: options.origin } : {}), mailboxId: encodeId('m', mb.id), path: mb.path });
    batch.commitStates(ctx);
  });
  await publishAll(ctx, batch.events(ctx));
}

export function listMailboxesSync(ctx: Ctx, account: string): Mailbox[] {
  const accId = accountId(ctx, account);
  if (accId === null) return [];
  return readTx(ctx, () => {
    const rows = sql(ctx, 'SELECT * FROM mailbox WHERE account_id = ? ORDER BY path').all(accId) as MailboxRow[];
    return rows.map((r) => toMailbox(ctx, r));
  });
}

export function getMailboxSync(ctx: Ctx, account: string, mailboxId: string): Mailbox | null {
  const accId = accountId(ctx, account);
  const id = decodeId('m', mailboxId);
  if (accId === null || id === null) return null;
  return readTx(ctx, () => {
    const row = sql(ctx, 'SELECT * FROM mailbox WHERE id = ? AND account_id = ?').get(id, accId) as MailboxRow | undefined;
    return row ? toMailbox(ctx, row) : null;
  });
}

export function findMailboxSync(ctx: Ctx, account: string, by: { path: string } | { role: MailboxRole }): Mailbox | null {
  const accId = accountId(ctx, account);
  if (accId === null) return null;
  return readTx(ctx, () => {
    let row: MailboxRow | undefined;
    if ('path' in by) {
      let path: string;
      try {
        path = normalisePath(by.path);
      } catch {
        return null;
      }
      row = sql(ctx, 'SELECT * FROM mailbox WHERE account_id = ? AND path = ?').get(accId, path) as MailboxRow | undefined;
    } else {
      row = sql(ctx, 'SELECT * FROM mailbox WHERE account_id = ? AND role = ?').get(accId, by.role) as MailboxRow | undefined;
    }
    return row ? toMailbox(ctx, row) : null;
  });
}

/** Removes `path` from the account's subscribed names without a mailbox; true when it was there. */
function takeOrphanSubscription(ctx: Ctx, accId: number, path: string): boolean {
  return sql(ctx, 'DELETE FROM subscription WHERE account_id = ? AND path = ?').run(accId, path).changes > 0;
}

/** Sets a mailbox's subscribed flag as updateMailbox does (new modseq, mailbox-updated event), if it changes. */
function setSubscribedRow(ctx: Ctx, batch: ChangeBatch, accId: number, mb: MailboxRow, subscribed: boolean): void {
  if ((mb.subscribed === 1) === subscribed) return;
  const modseq = allocModseq(ctx, accId);
  sql(ctx, 'UPDATE mailbox SET subscribed = ?, props_modseq = ?, updated_modseq = ? WHERE id = ?').run(subscribed ? 1 : 0, modseq, modseq, mb.id);
  batch.state('mailbox_state', modseq);
  batch.event({
    type: 'mailbox-updated',
    account: batch.account,
    ...(batch.origin ? { origin: batch.origin } : {}),
    mailboxId: encodeId('m', mb.id),
    path: mb.path,
  });
}

export async function subscribePath(ctx: Ctx, account: string, path: string, options?: WriteOptions): Promise<void> {
  const accId = requireAccount(ctx, account);
  const name = normalisePath(path);
  const batch = new ChangeBatch(account, accId, options?.origin);
  writeTx(ctx, () => {
    const mb = rowByPath(ctx, accId, name);
    if (mb) setSubscribedRow(ctx, batch, accId, mb, true);
    else sql(ctx, 'INSERT OR IGNORE INTO subscription (account_id, path) VALUES (?, ?)').run(accId, name);
    batch.commitStates(ctx);
  });
  await publishAll(ctx, batch.events(ctx));
}

export async function unsubscribePath(ctx: Ctx, account: string, path: string, options?: WriteOptions): Promise<boolean> {
  const accId = requireAccount(ctx, account);
  let name: string;
  try {
    name = normalisePath(path);
  } catch {
    return false; // no mailbox has, and nobody could subscribe, such a name
  }
  const batch = new ChangeBatch(account, accId, options?.origin);
  const known = writeTx(ctx, () => {
    const mb = rowByPath(ctx, accId, name);
    const wasOrphan = takeOrphanSubscription(ctx, accId, name);
    if (mb) setSubscribedRow(ctx, batch, accId, mb, false);
    batch.commitStates(ctx);
    return mb !== null || wasOrphan;
  });
  await publishAll(ctx, batch.events(ctx));
  return known;
}

export function listOrphanSubscriptionsSync(ctx: Ctx, account: string): string[] {
  const accId = accountId(ctx, account);
  if (accId === null) return [];
  return sql(ctx, 'SELECT path FROM subscription WHERE account_id = ? ORDER BY path').pluck().all(accId) as string[];
}

function checkUpTo(upToUid: number | undefined): number {
  if (upToUid === undefined) return Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(upToUid)) throw new InvalidArgumentError('upToUid must be an integer');
  return upToUid;
}

/**
 * Moves the mailbox's claim (mailbox.recent_uid, the highest UID some session has been handed) up
 * to `upToUid` (at most the highest UID assigned) and returns the UIDs between the old and the new
 * claim that still exist. One write transaction, so two claimers never get the same UID.
 */
export function claimRecentSync(ctx: Ctx, account: string, mailboxId: string, upToUid?: number): number[] {
  const accId = requireAccount(ctx, account);
  const upTo = checkUpTo(upToUid);
  // Most SELECTs have nothing to claim: answered by one read, without the write transaction. The
  // claim and uid_next only grow, so "nothing to claim" read here stays true inside a transaction.
  const seen = requireMailbox(ctx, accId, mailboxId);
  if (Math.min(upTo, seen.uid_next - 1) <= seen.recent_uid) return [];
  // Every APPEND to a selected mailbox claims here: not worth a blocking fsync (see commitLazily).
  return ctx.wal.commitLazily(() => writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const claim = Math.min(upTo, mb.uid_next - 1);
    if (claim <= mb.recent_uid) return [];
    sql(ctx, 'UPDATE mailbox SET recent_uid = ? WHERE id = ?').run(claim, mb.id);
    return sql(ctx, 'SELECT uid FROM msg WHERE mailbox_id = ? AND uid > ? AND uid <= ? ORDER BY uid')
      .pluck()
      .all(mb.id, mb.recent_uid, claim) as number[];
  }));
}

/** The UIDs claimRecentSync would return now, without claiming them. */
export function peekRecentSync(ctx: Ctx, account: string, mailboxId: string, upToUid?: number): number[] {
  const accId = requireAccount(ctx, account);
  const upTo = checkUpTo(upToUid);
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    return sql(ctx, 'SELECT uid FROM msg WHERE mailbox_id = ? AND uid > ? AND uid <= ? ORDER BY uid')
      .pluck()
      .all(mb.id, mb.recent_uid, upTo) as number[];
  });
}
