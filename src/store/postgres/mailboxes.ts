// Accounts and mailboxes on PostgreSQL: creation with special-use folders, hierarchy, rename (IMAP
// INBOX rule), delete, subscriptions and \Recent claims. The rules are the SQLite engine's
// (../sqlite/mailboxes.ts); path validation and the special-use list are shared with it.
import type { Account, CreateMailboxSpec, DeleteMailboxOptions, Mailbox, MailboxRole, MailboxUpdate, WriteOptions } from '../types.js';
import {
  ForbiddenError,
  InvalidArgumentError,
  InvalidNameError,
  MailboxExistsError,
  MailboxHasChildrenError,
  MailboxNotEmptyError,
} from '../errors.js';
import type { Ctx, MailboxRow } from './context.js';
import { accountId, allocModseq, eventTx, readTx, requireAccount, requireMailbox, toMailbox, writeTx } from './context.js';
import type { Conn } from './db.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { normalisePath, SPECIAL_USE } from '../sqlite/mailboxes.js';
import { placeEmail, removeMembership, settleEmail, tombstone } from './mutations.js';

export async function ensureAccount(ctx: Ctx, account: string): Promise<Account> {
  if (!account || account.length > 320) throw new InvalidArgumentError('invalid account name');
  const existing = await getAccount(ctx, account);
  if (existing) return existing;
  await eventTx(
    ctx,
    async (q) => {
      // A concurrent creator (this node or another) makes this insert wait, then do nothing.
      const row = await q.get<{ id: number }>('INSERT INTO account (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING id', account, Date.now());
      if (!row) return [];
      const b = new ChangeBatch(account, row.id, undefined);
      for (const [i, s] of SPECIAL_USE.entries()) await insertMailbox(q, b, row.id, s.path, null, s.role, true, i);
      await b.commitStates(q);
      return b.events(q);
    },
    (events) => events,
  );
  return (await getAccount(ctx, account))!;
}

export async function getAccount(ctx: Ctx, account: string): Promise<Account | null> {
  const row = await ctx.q.get<{ name: string; created_at: number }>('SELECT name, created_at FROM account WHERE name = ?', account);
  return row ? { id: row.name, createdAt: new Date(row.created_at) } : null;
}

export async function deleteAccount(ctx: Ctx, account: string): Promise<void> {
  const accId = await accountId(ctx, account);
  if (accId === null) return;
  await writeTx(ctx, accId, async (q) => {
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
      await q.run(statement, accId);
    // What others granted the user, and what the user delegated or was delegated (the mailbox_acl
    // rows of the user's own mailboxes went with them).
    await q.run('DELETE FROM mailbox_acl WHERE identifier = ?', account);
    await q.run('DELETE FROM delegation WHERE owner = ? OR delegate = ?', account, account);
    // The user's /private annotations (its mailboxes' others went with them, by trigger).
    await q.run('DELETE FROM metadata WHERE owner = ?', account);
  });
}

async function insertMailbox(
  q: Conn,
  batch: ChangeBatch,
  accId: number,
  path: string,
  parentId: number | null,
  role: MailboxRole | null,
  subscribed: boolean,
  sortOrder: number,
): Promise<MailboxRow> {
  const modseq = await allocModseq(q, accId);
  // A subscription to the name, made while it had no mailbox, now belongs to the mailbox.
  const isSubscribed = (await takeOrphanSubscription(q, accId, path)) || subscribed;
  const row = (await q.get<MailboxRow>(
    `INSERT INTO mailbox (account_id, path, parent_id, role, subscribed, sort_order, uid_validity, created_modseq, updated_modseq, props_modseq, highest_modseq)
     VALUES (?, ?, ?, ?, ?, ?, (nextval('uidvalidity_seq') % 4294967295) + 1, ?, ?, ?, ?) RETURNING *`,
    accId,
    path,
    parentId,
    role,
    isSubscribed ? 1 : 0,
    sortOrder,
    modseq,
    modseq,
    modseq,
    modseq,
  ))!;
  batch.event({ type: 'mailbox-created', account: batch.account, ...(batch.origin ? { origin: batch.origin } : {}), mailboxId: encodeId('m', row.id), path });
  batch.state('mailbox_state', modseq);
  return row;
}

async function rowByPath(q: Conn, accId: number, path: string): Promise<MailboxRow | null> {
  return (await q.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND path = ?', accId, path)) ?? null;
}

async function rowById(q: Conn, id: number): Promise<MailboxRow> {
  return (await q.get<MailboxRow>('SELECT * FROM mailbox WHERE id = ?', id))!;
}

/** Creates the missing ancestors of `path` and returns the parent's id (null at top level). */
async function ensureParents(q: Conn, batch: ChangeBatch, accId: number, path: string): Promise<number | null> {
  const parts = path.split('/');
  let parent: number | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    const row: MailboxRow = (await rowByPath(q, accId, p)) ?? (await insertMailbox(q, batch, accId, p, parent, null, false, 0));
    parent = row.id;
  }
  return parent;
}

async function checkRoleFree(q: Conn, accId: number, role: MailboxRole | null | undefined, except?: number): Promise<void> {
  if (!role) return;
  const row = await q.get<{ id: number }>('SELECT id FROM mailbox WHERE account_id = ? AND role = ?', accId, role);
  if (row && row.id !== except) throw new InvalidArgumentError(`role ${role} is already used by another mailbox`, 'role');
}

/** Runs one account write that yields a mailbox row, publishes its events, returns the mailbox. */
async function mailboxWrite(ctx: Ctx, accId: number, batch: ChangeBatch, fn: (q: Conn) => Promise<MailboxRow>): Promise<Mailbox> {
  const { mailbox } = await writeTx(
    ctx,
    accId,
    async (q) => {
      const row = await fn(q);
      await batch.commitStates(q);
      return { mailbox: await toMailbox(q, row), events: await batch.events(q) };
    },
    (out) => out.events,
  );
  return mailbox;
}

export async function createMailbox(ctx: Ctx, account: string, spec: CreateMailboxSpec, options?: WriteOptions): Promise<Mailbox> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  return mailboxWrite(ctx, accId, batch, async (q) => {
    let path: string;
    if ('path' in spec) path = normalisePath(spec.path.replace(/\/+$/, ''));
    else {
      if (spec.name.includes('/')) throw new InvalidNameError(spec.name, 'name contains the delimiter /');
      if (spec.parentId === null) path = normalisePath(spec.name);
      else {
        const parent = await requireMailbox(q, accId, spec.parentId);
        path = normalisePath(`${parent.path}/${spec.name}`);
      }
    }
    if (await rowByPath(q, accId, path)) throw new MailboxExistsError(path);
    await checkRoleFree(q, accId, spec.role);
    const parentId = await ensureParents(q, batch, accId, path);
    return insertMailbox(q, batch, accId, path, parentId, spec.role ?? null, spec.subscribed ?? false, spec.sortOrder ?? 0);
  });
}

export async function renameMailbox(ctx: Ctx, account: string, mailboxId: string, newPath: string, options?: WriteOptions): Promise<Mailbox> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  return mailboxWrite(ctx, accId, batch, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const target = normalisePath(newPath);
    if (target === mb.path) return mb;
    if (await rowByPath(q, accId, target)) throw new MailboxExistsError(target);
    if (target === 'INBOX' || (target.startsWith('INBOX/') && mb.path === 'INBOX')) {
      throw new ForbiddenError('cannot rename INBOX into itself');
    }
    if (target.startsWith(mb.path + '/')) throw new InvalidNameError(target, 'cannot move a mailbox into itself');
    return mb.path === 'INBOX' ? renameInbox(q, batch, accId, mb, target) : movePath(q, batch, accId, mb, target);
  });
}

/** RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
async function renameInbox(q: Conn, batch: ChangeBatch, accId: number, inbox: MailboxRow, target: string): Promise<MailboxRow> {
  const parentId = await ensureParents(q, batch, accId, target);
  const created = await insertMailbox(q, batch, accId, target, parentId, null, false, 0);
  const members = await q.all<{ uid: number; email_id: number; deleted: number }>('SELECT uid, email_id, deleted FROM msg WHERE mailbox_id = ? ORDER BY uid', inbox.id);
  for (const m of members) {
    const modseq = await allocModseq(q, accId);
    await removeMembership(q, batch, inbox.id, m.uid, modseq);
    await placeEmail(q, batch, created, m.email_id, modseq, m.deleted);
    await settleEmail(q, batch, m.email_id, modseq);
  }
  return rowById(q, created.id);
}

async function movePath(q: Conn, batch: ChangeBatch, accId: number, mb: MailboxRow, target: string): Promise<MailboxRow> {
  const parentId = await ensureParents(q, batch, accId, target);
  const modseq = await allocModseq(q, accId);
  const subtree = await q.all<{ id: number; path: string }>(
    'SELECT id, path FROM mailbox WHERE account_id = ? AND (id = ? OR left(path, ?) = ?)',
    accId,
    mb.id,
    mb.path.length + 1,
    mb.path + '/',
  );
  for (const s of subtree) {
    const newPath = target + s.path.slice(mb.path.length);
    await q.run('UPDATE mailbox SET path = ?, props_modseq = ?, updated_modseq = ? WHERE id = ?', newPath, modseq, modseq, s.id);
    if (await takeOrphanSubscription(q, accId, newPath)) await q.run('UPDATE mailbox SET subscribed = 1 WHERE id = ?', s.id);
    batch.event({
      type: 'mailbox-renamed',
      account: batch.account,
      ...(batch.origin ? { origin: batch.origin } : {}),
      mailboxId: encodeId('m', s.id),
      oldPath: s.path,
      newPath,
    });
  }
  await q.run('UPDATE mailbox SET parent_id = ? WHERE id = ?', parentId, mb.id);
  batch.state('mailbox_state', modseq);
  return rowById(q, mb.id);
}

export async function updateMailbox(ctx: Ctx, account: string, mailboxId: string, update: MailboxUpdate, options?: WriteOptions): Promise<Mailbox> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  return mailboxWrite(ctx, accId, batch, async (q) => {
    let mb = await requireMailbox(q, accId, mailboxId);
    if (update.name !== undefined || update.parentId !== undefined) {
      const name = update.name ?? mb.path.slice(mb.path.lastIndexOf('/') + 1);
      if (name.includes('/')) throw new InvalidNameError(name, 'name contains the delimiter /');
      if (name === '') throw new InvalidNameError(name, 'empty name');
      const parentId = update.parentId !== undefined ? update.parentId : mb.parent_id === null ? null : encodeId('m', mb.parent_id);
      let target = name;
      if (parentId !== null) {
        const parent = await requireMailbox(q, accId, parentId);
        target = `${parent.path}/${name}`;
      }
      target = normalisePath(target);
      if (target !== mb.path) {
        if (mb.path === 'INBOX') throw new ForbiddenError('INBOX cannot be renamed or moved');
        if (await rowByPath(q, accId, target)) throw new MailboxExistsError(target);
        if (target.startsWith(mb.path + '/')) throw new InvalidArgumentError('a mailbox cannot be its own descendant', 'parentId');
        mb = await movePath(q, batch, accId, mb, target);
      }
    }
    const props: string[] = [];
    const values: (string | number | null)[] = [];
    if (update.role !== undefined) {
      if (mb.role === 'inbox' && update.role !== 'inbox') throw new ForbiddenError('the inbox role cannot be removed');
      await checkRoleFree(q, accId, update.role, mb.id);
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
      const modseq = await allocModseq(q, accId);
      await q.run(`UPDATE mailbox SET ${props.join(', ')}, props_modseq = ?, updated_modseq = ? WHERE id = ?`, ...values, modseq, modseq, mb.id);
      batch.state('mailbox_state', modseq);
      batch.event({ type: 'mailbox-updated', account, ...(options?.origin ? { origin: options.origin } : {}), mailboxId: encodeId('m', mb.id), path: mb.path });
    }
    return rowById(q, mb.id);
  });
}

export async function deleteMailbox(ctx: Ctx, account: string, mailboxId: string, options: DeleteMailboxOptions): Promise<void> {
  const accId = await requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options.origin);
  await writeTx(ctx, accId, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    if (mb.path === 'INBOX' || mb.role === 'inbox') throw new ForbiddenError('INBOX cannot be deleted');
    if (await q.get('SELECT 1 FROM mailbox WHERE parent_id = ? LIMIT 1', mb.id)) throw new MailboxHasChildrenError(mb.path);
    const members = await q.all<{ uid: number; email_id: number }>('SELECT uid, email_id FROM msg WHERE mailbox_id = ? ORDER BY uid', mb.id);
    if (members.length && !options.removeEmails) throw new MailboxNotEmptyError(mb.path);
    for (const m of members) {
      const modseq = await allocModseq(q, accId);
      await q.run('DELETE FROM msg WHERE mailbox_id = ? AND uid = ?', mb.id, m.uid);
      await settleEmail(q, batch, m.email_id, modseq);
    }
    const modseq = await allocModseq(q, accId);
    await q.run('DELETE FROM expunged WHERE mailbox_id = ?', mb.id);
    await q.run('DELETE FROM mailbox WHERE id = ?', mb.id);
    // The subscription outlives the mailbox (RFC 3501 §6.3.4).
    if (mb.subscribed) await q.run('INSERT INTO subscription (account_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING', accId, mb.path);
    await tombstone(q, accId, 'Mailbox', mb.id, mb.created_modseq, modseq);
    batch.state('mailbox_state', modseq);
    batch.event({ type: 'mailbox-deleted', account, ...(options.origin ? { origin: options.origin } : {}), mailboxId: encodeId('m', mb.id), path: mb.path });
    await batch.commitStates(q);
    return batch.events(q);
  }, (events) => events);
}

export async function listMailboxes(ctx: Ctx, account: string): Promise<Mailbox[]> {
  const accId = await accountId(ctx, account);
  if (accId === null) return [];
  return readTx(ctx, async (q) => {
    const rows = await q.all<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? ORDER BY path', accId);
    const out: Mailbox[] = [];
    for (const r of rows) out.push(await toMailbox(q, r));
    return out;
  });
}

export async function getMailbox(ctx: Ctx, account: string, mailboxId: string): Promise<Mailbox | null> {
  const accId = await accountId(ctx, account);
  const id = decodeId('m', mailboxId);
  if (accId === null || id === null) return null;
  return readTx(ctx, async (q) => {
    const row = await q.get<MailboxRow>('SELECT * FROM mailbox WHERE id = ? AND account_id = ?', id, accId);
    return row ? toMailbox(q, row) : null;
  });
}

export async function findMailbox(ctx: Ctx, account: string, by: { path: string } | { role: MailboxRole }): Promise<Mailbox | null> {
  const accId = await accountId(ctx, account);
  if (accId === null) return null;
  let path: string | undefined;
  if ('path' in by) {
    try {
      path = normalisePath(by.path);
    } catch {
      return null;
    }
  }
  return readTx(ctx, async (q) => {
    const row =
      path !== undefined
        ? await q.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND path = ?', accId, path)
        : await q.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND role = ?', accId, (by as { role: MailboxRole }).role);
    return row ? toMailbox(q, row) : null;
  });
}

/** Removes `path` from the account's subscribed names without a mailbox; true when it was there. */
async function takeOrphanSubscription(q: Conn, accId: number, path: string): Promise<boolean> {
  return (await q.run('DELETE FROM subscription WHERE account_id = ? AND path = ?', accId, path)) > 0;
}

/** Sets a mailbox's subscribed flag as updateMailbox does (new modseq, mailbox-updated event), if it changes. */
async function setSubscribedRow(q: Conn, batch: ChangeBatch, accId: number, mb: MailboxRow, subscribed: boolean): Promise<void> {
  if ((mb.subscribed === 1) === subscribed) return;
  const modseq = await allocModseq(q, accId);
  await q.run('UPDATE mailbox SET subscribed = ?, props_modseq = ?, updated_modseq = ? WHERE id = ?', subscribed ? 1 : 0, modseq, modseq, mb.id);
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
  const accId = await requireAccount(ctx, account);
  const name = normalisePath(path);
  const batch = new ChangeBatch(account, accId, options?.origin);
  await writeTx(
    ctx,
    accId,
    async (q) => {
      const mb = await rowByPath(q, accId, name);
      if (mb) await setSubscribedRow(q, batch, accId, mb, true);
      else await q.run('INSERT INTO subscription (account_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING', accId, name);
      await batch.commitStates(q);
      return batch.events(q);
    },
    (events) => events,
  );
}

export async function unsubscribePath(ctx: Ctx, account: string, path: string, options?: WriteOptions): Promise<boolean> {
  const accId = await requireAccount(ctx, account);
  let name: string;
  try {
    name = normalisePath(path);
  } catch {
    return false; // no mailbox has, and nobody could subscribe, such a name
  }
  const batch = new ChangeBatch(account, accId, options?.origin);
  const { known } = await writeTx(
    ctx,
    accId,
    async (q) => {
      const mb = await rowByPath(q, accId, name);
      const wasOrphan = await takeOrphanSubscription(q, accId, name);
      if (mb) await setSubscribedRow(q, batch, accId, mb, false);
      await batch.commitStates(q);
      return { known: mb !== null || wasOrphan, events: await batch.events(q) };
    },
    (out) => out.events,
  );
  return known;
}

export async function listOrphanSubscriptions(ctx: Ctx, account: string): Promise<string[]> {
  const accId = await accountId(ctx, account);
  if (accId === null) return [];
  return ctx.q.pluck<string>('SELECT path FROM subscription WHERE account_id = ? ORDER BY path', accId);
}

function checkUpTo(upToUid: number | undefined): number {
  if (upToUid === undefined) return Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(upToUid)) throw new InvalidArgumentError('upToUid must be an integer');
  return upToUid;
}

/**
 * Moves the mailbox's claim (recent_uid) up to `upToUid` (at most the highest UID assigned) and
 * returns the UIDs between the old and the new claim that still exist. The account lock makes two
 * claimers, on any node, never get the same UID.
 */
export async function claimRecent(ctx: Ctx, account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
  const accId = await requireAccount(ctx, account);
  const upTo = checkUpTo(upToUid);
  // Most SELECTs have nothing to claim: answered by one read, without the account lock. The claim
  // and uid_next only grow, so "nothing to claim" read here stays true under the lock.
  const seen = await requireMailbox(ctx.q, accId, mailboxId);
  if (Math.min(upTo, seen.uid_next - 1) <= seen.recent_uid) return [];
  return writeTx(ctx, accId, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const claim = Math.min(upTo, mb.uid_next - 1);
    if (claim <= mb.recent_uid) return [];
    await q.run('UPDATE mailbox SET recent_uid = ? WHERE id = ?', claim, mb.id);
    return q.pluck<number>('SELECT uid FROM msg WHERE mailbox_id = ? AND uid > ? AND uid <= ? ORDER BY uid', mb.id, mb.recent_uid, claim);
  });
}

/** The UIDs claimRecent would return now, without claiming them. */
export async function peekRecent(ctx: Ctx, account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
  const accId = await requireAccount(ctx, account);
  const upTo = checkUpTo(upToUid);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    return q.pluck<number>('SELECT uid FROM msg WHERE mailbox_id = ? AND uid > ? AND uid <= ? ORDER BY uid', mb.id, mb.recent_uid, upTo);
  });
}
