// The store's MetadataStore over SQLite (table `metadata` of store.sqlite). Each write is one
// ordinary commit, checked against the limits inside its transaction, so concurrent writers cannot
// together pass a count limit.
import type { MetadataChange, MetadataDepth, MetadataEntry, MetadataLimits, MetadataWriteOptions } from '../api/metadata.js';
import type { MetadataChangedEvent } from '../../events/types.js';
import { MetadataLimitError, NoSuchMailboxError } from '../errors.js';
import { accountId, publishAll, readTx, requireMailbox, sql, writeTx, type Ctx } from './context.js';

/** mailbox_id of server entries. */
export const SERVER = 0;

/** /private entries are the user's own; /shared ones have one value for everyone (owner ''). */
export function ownerOf(user: string, name: string): string {
  return name === '/private' || name.startsWith('/private/') ? user : '';
}

function mailboxKey(ctx: Ctx, account: string, mailboxId: string | null): number {
  if (mailboxId === null) return SERVER;
  const accId = accountId(ctx, account);
  if (accId === null) throw new NoSuchMailboxError(mailboxId);
  return requireMailbox(ctx, accId, mailboxId).id;
}

export interface Row {
  name: string;
  value: Buffer;
}

/** Whether a row found below `name` is within `depth` (1: children only). */
export function withinDepth(name: string, row: string, depth: MetadataDepth): boolean {
  return depth === 'infinity' || !row.slice(name.length + 1).includes('/');
}

/** The entries found, once each, ordered by name (octet order, as the table's keys). */
export function sortedEntries(found: Map<string, Buffer>): MetadataEntry[] {
  return [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
}

/** Values over the size limit are refused before any transaction. */
export function checkValueSizes(changes: readonly MetadataChange[], limits: MetadataLimits): void {
  for (const c of changes) if (c.value !== null && c.value.length > limits.maxValueSize) throw new MetadataLimitError('size', limits.maxValueSize);
}

export function getMetadata(ctx: Ctx, account: string, mailboxId: string | null, names: readonly string[], depth: MetadataDepth, user = account): MetadataEntry[] {
  return readTx(ctx, () => {
    const box = mailboxKey(ctx, account, mailboxId);
    const found = new Map<string, Buffer>();
    for (const raw of names) {
      const name = raw.toLowerCase();
      const owner = ownerOf(user, name);
      const exact = sql(ctx, 'SELECT name, value FROM metadata WHERE mailbox_id = ? AND owner = ? AND name = ?').get(box, owner, name) as Row | undefined;
      if (exact) found.set(exact.name, exact.value);
      if (depth === 0) continue;
      // Descendants: names from `name/` up to, not including, `name0` ('0' follows '/').
      const below = sql(ctx, 'SELECT name, value FROM metadata WHERE mailbox_id = ? AND owner = ? AND name >= ? AND name < ?').all(box, owner, name + '/', name + '0') as Row[];
      for (const r of below) if (withinDepth(name, r.name, depth)) found.set(r.name, r.value);
    }
    return sortedEntries(found);
  });
}

export function setMetadata(
  ctx: Ctx,
  account: string,
  mailboxId: string | null,
  changes: readonly MetadataChange[],
  limits: MetadataLimits,
  options: MetadataWriteOptions = {},
): Promise<void> {
  checkValueSizes(changes, limits);
  const user = options.user ?? account;
  // Written synchronously (the acting store wraps this in its checked transaction); published after.
  writeTx(ctx, () => {
    const box = mailboxKey(ctx, account, mailboxId);
    for (const c of changes) {
      const name = c.name.toLowerCase();
      const owner = ownerOf(user, name);
      if (c.value === null) sql(ctx, 'DELETE FROM metadata WHERE mailbox_id = ? AND owner = ? AND name = ?').run(box, owner, name);
      else
        sql(ctx, 'INSERT INTO metadata (mailbox_id, owner, name, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(
          box,
          owner,
          name,
          c.value,
        );
    }
    const { n } = sql(ctx, "SELECT count(*) AS n FROM metadata WHERE mailbox_id = ? AND owner IN (?, '')").get(box, user) as { n: number };
    // Thrown inside the transaction: nothing of this write is kept.
    if (n > limits.maxEntries) throw new MetadataLimitError('count', limits.maxEntries);
  });
  return publishAll(ctx, [metadataChanged(account, mailboxId, changes, user, options.origin)]);
}

/** The event of one metadata write (both engines). */
export function metadataChanged(account: string, mailboxId: string | null, changes: readonly MetadataChange[], user: string, origin: string | undefined): MetadataChangedEvent {
  const entries = [...new Set(changes.map((c) => c.name.toLowerCase()))];
  return { type: 'metadata-changed', account, mailboxId, entries, user, ...(origin !== undefined ? { origin } : {}) };
}
