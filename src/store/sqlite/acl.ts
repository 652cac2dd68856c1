// Mailbox rights and delegation grants over SQLite (tables `mailbox_acl` and `delegation`), and the
// one rights check every access to another user's mailbox goes through (requireRights and its
// relatives, called by the acting store in ./store.ts in the same synchronous step as the access).
import type { AclEntry, AclWriteOptions, Actor, SharedMailbox } from '../api/acl.js';
import type { WriteOptions } from '../types.js';
import { ALL_RIGHTS, actorIdentifiers, canonicalRights, checkAclIdentifier, demandRights, placeholders } from '../rights.js';
import { InvalidArgumentError, NoSuchMailboxError } from '../errors.js';
import { accountId, publishAll, readTx, requireMailbox, sql, toMailbox, writeTx, type Ctx, type MailboxRow } from './context.js';
import { requireAccount } from './mailboxes.js';
import { decodeId, encodeId } from './ids.js';
import { recordShareChange } from './share-notifications.js';
import { rightsChangedEvents, shareChangeOf, type RecordedShare } from '../share-notification-log.js';

/** The actor's rights on a mailbox of `owner` ('' when there is no such mailbox). */
export function rightsOfSync(ctx: Ctx, actor: Actor, owner: string, mailboxId: string): string {
  if (actor.user === owner) {
    const accId = accountId(ctx, owner);
    const id = decodeId('m', mailboxId);
    if (accId === null || id === null) return '';
    return sql(ctx, 'SELECT 1 FROM mailbox WHERE id = ? AND account_id = ?').get(id, accId) ? ALL_RIGHTS : '';
  }
  const id = decodeId('m', mailboxId);
  const accId = accountId(ctx, owner);
  if (id === null || accId === null) return '';
  const ids = actorIdentifiers(actor);
  const rows = sql(
    ctx,
    `SELECT a.rights FROM mailbox_acl a JOIN mailbox m ON m.id = a.mailbox_id
      WHERE a.mailbox_id = ? AND m.account_id = ? AND a.identifier IN (${placeholders(ids.length)})`,
  )
    .pluck()
    .all(id, accId, ...ids) as string[];
  return canonicalRights(rows.join(''));
}

/**
 * The access check. Returns the actor's rights when they include `needed`; a mailbox the actor
 * cannot see ("l" or "r") throws NoSuchMailboxError exactly as a missing one does, a visible one
 * without the right NoPermissionError.
 */
export function requireRights(ctx: Ctx, actor: Actor, owner: string, mailboxId: string, needed: string): string {
  return demandRights(rightsOfSync(ctx, actor, owner, mailboxId), needed, mailboxId);
}

/** An email is readable when the actor may read ("r") a mailbox of `owner` that holds it. */
export function requireEmailReadable(ctx: Ctx, actor: Actor, owner: string, emailId: string): void {
  if (actor.user === owner) return;
  if (!emailMailboxesSync(ctx, emailId).some((b) => rightsOfSync(ctx, actor, owner, b).includes('r'))) throw new NoSuchMailboxError(emailId);
}

/** The mailboxes holding an email (its account is the caller's to know). */
export function emailMailboxesSync(ctx: Ctx, emailId: string): string[] {
  const id = decodeId('e', emailId);
  const boxes = id === null ? [] : (sql(ctx, 'SELECT DISTINCT mailbox_id FROM msg WHERE email_id = ?').pluck().all(id) as number[]);
  return boxes.map((b) => encodeId('m', b));
}

export async function setRights(ctx: Ctx, owner: string, mailboxId: string, identifier: string, rights: string, options?: AclWriteOptions): Promise<void> {
  checkAclIdentifier(owner, identifier);
  const accId = requireAccount(ctx, owner);
  const canonical = canonicalRights(rights);
  const { row, notice } = writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const old = heldBy(ctx, mb.id, identifier);
    if (canonical === '') sql(ctx, 'DELETE FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?').run(mb.id, identifier);
    else {
      sql(ctx, 'INSERT INTO mailbox_acl (mailbox_id, identifier, rights) VALUES (?, ?, ?) ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights = excluded.rights').run(
        mb.id,
        identifier,
        canonical,
      );
    }
    return { row: mb, notice: noticeOf(ctx, owner, mb, identifier, old, canonical, options) };
  });
  await publishRightsChanged(ctx, owner, row, identifier, options, notice);
}

export async function deleteRights(ctx: Ctx, owner: string, mailboxId: string, identifier: string, options?: AclWriteOptions): Promise<boolean> {
  checkAclIdentifier(owner, identifier);
  const accId = requireAccount(ctx, owner);
  const { row, changed, notice } = writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const old = heldBy(ctx, mb.id, identifier);
    const changed = sql(ctx, 'DELETE FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?').run(mb.id, identifier).changes > 0;
    return { row: mb, changed, notice: noticeOf(ctx, owner, mb, identifier, old, '', options) };
  });
  if (changed) await publishRightsChanged(ctx, owner, row, identifier, options, notice);
  return changed;
}

function heldBy(ctx: Ctx, mailbox: number, identifier: string): string {
  return (sql(ctx, 'SELECT rights FROM mailbox_acl WHERE mailbox_id = ? AND identifier = ?').pluck().get(mailbox, identifier) as string | undefined) ?? '';
}

/** Records the share notification the change calls for, inside its transaction. */
function noticeOf(ctx: Ctx, owner: string, mb: MailboxRow, identifier: string, old: string, now: string, options?: AclWriteOptions): RecordedShare | undefined {
  const change = shareChangeOf(owner, { id: encodeId('m', mb.id), path: mb.path }, identifier, old, now, options);
  return change && recordShareChange(ctx, change);
}

async function publishRightsChanged(ctx: Ctx, owner: string, row: MailboxRow, identifier: string, options?: AclWriteOptions, notice?: RecordedShare): Promise<void> {
  await publishAll(ctx, rightsChangedEvents(owner, { id: encodeId('m', row.id), path: row.path }, identifier, options, notice));
}

export function listRights(ctx: Ctx, owner: string, mailboxId: string): AclEntry[] {
  const accId = requireAccount(ctx, owner);
  return readTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const rows = sql(ctx, 'SELECT identifier, rights FROM mailbox_acl WHERE mailbox_id = ? ORDER BY identifier').all(mb.id) as AclEntry[];
    return [{ identifier: owner, rights: ALL_RIGHTS }, ...rows];
  });
}

export function sharedWith(ctx: Ctx, actor: Actor): SharedMailbox[] {
  const ids = actorIdentifiers(actor);
  return readTx(ctx, () => {
    const rows = sql(
      ctx,
      `SELECT DISTINCT m.*, acc.name AS owner FROM mailbox_acl a JOIN mailbox m ON m.id = a.mailbox_id JOIN account acc ON acc.id = m.account_id
        WHERE a.identifier IN (${placeholders(ids.length)}) AND acc.name != ? ORDER BY acc.name, m.path`,
    ).all(...ids, actor.user) as Array<MailboxRow & { owner: string }>;
    const out: SharedMailbox[] = [];
    for (const r of rows) {
      const rights = rightsOfSync(ctx, actor, r.owner, encodeId('m', r.id));
      if (rights.includes('l')) out.push({ owner: r.owner, mailbox: toMailbox(ctx, r), rights });
    }
    return out;
  });
}

export function grantDelegation(ctx: Ctx, owner: string, delegate: string): void {
  if (owner === delegate || delegate === '') throw new InvalidArgumentError('a user cannot delegate to themselves', 'delegate');
  sql(ctx, 'INSERT OR IGNORE INTO delegation (owner, delegate, created_at) VALUES (?, ?, ?)').run(owner, delegate, Date.now());
}

export function revokeDelegation(ctx: Ctx, owner: string, delegate: string): boolean {
  return sql(ctx, 'DELETE FROM delegation WHERE owner = ? AND delegate = ?').run(owner, delegate).changes > 0;
}

export function mayActAs(ctx: Ctx, delegate: string, owner: string): boolean {
  return sql(ctx, 'SELECT 1 FROM delegation WHERE owner = ? AND delegate = ?').get(owner, delegate) !== undefined;
}

export function listDelegates(ctx: Ctx, owner: string): string[] {
  return sql(ctx, 'SELECT delegate FROM delegation WHERE owner = ? ORDER BY delegate').pluck().all(owner) as string[];
}
