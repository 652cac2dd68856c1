// Mailbox rights and delegation grants over PostgreSQL (tables mailbox_acl and delegation), as the
// SQLite engine (../sqlite/acl.ts). Rights changes are write transactions of the owner's account
// (writeTx locks its row), so they serialise with every guarded operation on that account (see
// TxGuard in context.ts); the decision itself is the engine-independent demandRights (../rights.ts).
import type { AclEntry, AclWriteOptions, Actor, SharedMailbox } from '../api/acl.js';
import type { WriteOptions } from '../types.js';
import { ALL_RIGHTS, actorIdentifiers, canonicalRights, checkAclIdentifier, demandRights, placeholders } from '../rights.js';
import { InvalidArgumentError } from '../errors.js';
import { accountId, readTx, requireAccount, requireMailbox, toMailbox, writeTx, type Ctx, type MailboxRow } from './context.js';
import type { BusEvent } from '../../events/types.js';
import type { Conn } from './db.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { recordShareChange } from './share-notifications.js';
import { rightsChangedEvents, shareChangeOf, type RecordedShare } from '../share-notification-log.js';

/** The actor's rights on a mailbox of the owner's account ('' when there is no such mailbox). */
export async function rightsOf(q: Conn, actor: Actor, owner: string, ownerAccId: number | null, mailboxId: string): Promise<string> {
  const id = decodeId('m', mailboxId);
  if (id === null || ownerAccId === null) return '';
  if (actor.user === owner) return (await q.get('SELECT 1 FROM mailbox WHERE id = ? AND account_id = ?', id, ownerAccId)) ? ALL_RIGHTS : '';
  const ids = actorIdentifiers(actor);
  const rows = await q.pluck<string>(
    `SELECT a.rights FROM mailbox_acl a JOIN mailbox m ON m.id = a.mailbox_id
      WHERE a.mailbox_id = ? AND m.account_id = ? AND a.identifier IN (${placeholders(ids.length)})`,
    id,
    ownerAccId,
    ...ids,
  );
  return canonicalRights(rows.join(''));
}

export async function myRights(ctx: Ctx, actor: Actor, owner: string, mailboxId: string): Promise<string> {
  return rightsOf(ctx.q, actor, owner, await accountId(ctx, owner), mailboxId);
}

/** The access check (NoSuchMailboxError when invisible, NoPermissionError when a right is missing). */
export async function requireRights(q: Conn, actor: Actor, owner: string, ownerAccId: number | null, mailboxId: string, needed: string): Promise<string> {
  return demandRights(await rightsOf(q, actor, owner, ownerAccId, mailboxId), needed, mailboxId);
}

/** Whether the actor may read ("r") a mailbox of the owner that holds the email. */
export async function emailReadable(q: Conn, actor: Actor, owner: string, ownerAccId: number | null, emailId: string): Promise<boolean> {
  if (actor.user === owner) return true;
  for (const b of await emailMailboxes(q, emailId)) if ((await rightsOf(q, actor, owner, ownerAccId, b)).includes('r')) return true;
  return false;
}

/** The mailboxes holding an email (its account is the caller's to know). */
export async function emailMailboxes(q: Conn, emailId: string): Promise<string[]> {
  const id = decodeId('e', emailId);
  if (id === null) return [];
  return (await q.pluck<number>('SELECT DISTINCT mailbox_id FROM msg WHERE email_id = ?', id)).map((b) => encodeId('m', b));
}

export async function setRights(ctx: Ctx, owner: string, mailboxId: string, identifier: string, rights: string, options?: AclWriteOptions): Promise<void> {
  checkAclIdentifier(owner, identifier);
  const accId = await requireAccount(ctx, owner);
  const canonical = canonicalRights(rights);
  await writeTx(ctx, accId, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const old = await heldBy(q, mb.id, identifier);
    if (canonical === '') await q.run('DELETE FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?', mb.id, identifier);
    else {
      await q.run(
        'INSERT INTO mailbox_acl (mailbox_id, identifier, rights) VALUES (?, ?, ?) ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights = excluded.rights',
        mb.id,
        identifier,
        canonical,
      );
    }
    return { row: mb, notice: await noticeOf(q, owner, mb, identifier, old, canonical, options) };
  }, ({ row, notice }) => rightsChanged(owner, row, identifier, options, notice));
}

export async function deleteRights(ctx: Ctx, owner: string, mailboxId: string, identifier: string, options?: AclWriteOptions): Promise<boolean> {
  checkAclIdentifier(owner, identifier);
  const accId = await requireAccount(ctx, owner);
  const { changed } = await writeTx(ctx, accId, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const old = await heldBy(q, mb.id, identifier);
    const changed = (await q.run('DELETE FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?', mb.id, identifier)) > 0;
    return { row: mb, changed, notice: await noticeOf(q, owner, mb, identifier, old, '', options) };
  }, (out) => (out.changed ? rightsChanged(owner, out.row, identifier, options, out.notice) : []));
  return changed;
}

async function heldBy(q: Conn, mailbox: number, identifier: string): Promise<string> {
  const [rights] = await q.pluck<string>('SELECT rights FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?', mailbox, identifier);
  return rights ?? '';
}

/** Records the share notification the change calls for, inside its transaction. */
async function noticeOf(q: Conn, owner: string, mb: MailboxRow, identifier: string, old: string, now: string, options?: AclWriteOptions): Promise<RecordedShare | undefined> {
  const change = shareChangeOf(owner, { id: encodeId('m', mb.id), path: mb.path }, identifier, old, now, options);
  return change && recordShareChange(q, change);
}

function rightsChanged(owner: string, row: MailboxRow, identifier: string, options?: AclWriteOptions, notice?: RecordedShare): BusEvent[] {
  return rightsChangedEvents(owner, { id: encodeId('m', row.id), path: row.path }, identifier, options, notice);
}

export async function listRights(ctx: Ctx, owner: string, mailboxId: string): Promise<AclEntry[]> {
  const accId = await requireAccount(ctx, owner);
  return readTx(ctx, async (q) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const rows = await q.all<AclEntry>('SELECT identifier, rights FROM mailbox_acl WHERE mailbox_id = ? ORDER BY identifier', mb.id);
    return [{ identifier: owner, rights: ALL_RIGHTS }, ...rows];
  });
}

export async function sharedWith(ctx: Ctx, actor: Actor): Promise<SharedMailbox[]> {
  const ids = actorIdentifiers(actor);
  return readTx(ctx, async (q) => {
    const rows = await q.all<MailboxRow & { owner: string }>(
      `SELECT DISTINCT m.*, acc.name AS owner FROM mailbox_acl a JOIN mailbox m ON m.id = a.mailbox_id JOIN account acc ON acc.id = m.account_id
        WHERE a.identifier IN (${placeholders(ids.length)}) AND acc.name != ? ORDER BY acc.name, m.path`,
      ...ids,
      actor.user,
    );
    const out: SharedMailbox[] = [];
    for (const r of rows) {
      const rights = await rightsOf(q, actor, r.owner, r.account_id, encodeId('m', r.id));
      if (rights.includes('l')) out.push({ owner: r.owner, mailbox: await toMailbox(q, r), rights });
    }
    return out;
  });
}

export async function grantDelegation(ctx: Ctx, owner: string, delegate: string): Promise<void> {
  if (owner === delegate || delegate === '') throw new InvalidArgumentError('a user cannot delegate to themselves', 'delegate');
  await ctx.q.run('INSERT INTO delegation (owner, delegate, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', owner, delegate, Date.now());
}

export async function revokeDelegation(ctx: Ctx, owner: string, delegate: string): Promise<boolean> {
  return (await ctx.q.run('DELETE FROM delegation WHERE owner = ? AND delegate = ?', owner, delegate)) > 0;
}

export async function mayActAs(ctx: Ctx, delegate: string, owner: string): Promise<boolean> {
  return (await ctx.q.get('SELECT 1 FROM delegation WHERE owner = ? AND delegate = ?', owner, delegate)) !== undefined;
}

export async function listDelegates(ctx: Ctx, owner: string): Promise<string[]> {
  return ctx.q.pluck<string>('SELECT delegate FROM delegation WHERE owner = ? ORDER BY delegate', owner);
}

