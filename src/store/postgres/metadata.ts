// The store's MetadataStore over PostgreSQL (table `metadata`, migration 3), as the SQLite engine
// (../sqlite/metadata.ts): each write is one transaction holding the account row of the mailbox's
// owner (of the user, for server entries), checked against the limits before it commits, so
// concurrent writers cannot together pass a count limit.
import type { MetadataChange, MetadataDepth, MetadataEntry, MetadataLimits, MetadataWriteOptions } from '../api/metadata.js';
import { MetadataLimitError } from '../errors.js';
import { readTx, requireAccount, requireMailbox, writeTx, type Ctx } from './context.js';
import type { Conn } from './db.js';
import { checkValueSizes, metadataChanged, ownerOf, SERVER, sortedEntries, withinDepth, type Row } from '../sqlite/metadata.js';

async function mailboxKey(q: Conn, accId: number, mailboxId: string | null): Promise<number> {
  return mailboxId === null ? SERVER : (await requireMailbox(q, accId, mailboxId)).id;
}

export async function getMetadata(
  ctx: Ctx,
  account: string,
  mailboxId: string | null,
  names: readonly string[],
  depth: MetadataDepth,
  user = account,
): Promise<MetadataEntry[]> {
  const accId = await requireAccount(ctx, account);
  return readTx(ctx, async (q) => {
    const box = await mailboxKey(q, accId, mailboxId);
    const found = new Map<string, Buffer>();
    for (const raw of names) {
      const name = raw.toLowerCase();
      const owner = ownerOf(user, name);
      const exact = await q.get<Row>('SELECT name, value FROM metadata WHERE mailbox_id = ? AND owner = ? AND name = ?', box, owner, name);
      if (exact) found.set(exact.name, exact.value);
      if (depth === 0) continue;
      // Descendants: names from `name/` up to, not including, `name0` ('0' follows '/'; COLLATE "C").
      const below = await q.all<Row>('SELECT name, value FROM metadata WHERE mailbox_id = ? AND owner = ? AND name >= ? AND name < ?', box, owner, name + '/', name + '0');
      for (const r of below) if (withinDepth(name, r.name, depth)) found.set(r.name, r.value);
    }
    return sortedEntries(found);
  });
}

export async function setMetadata(
  ctx: Ctx,
  account: string,
  mailboxId: string | null,
  changes: readonly MetadataChange[],
  limits: MetadataLimits,
  options: MetadataWriteOptions = {},
): Promise<void> {
  checkValueSizes(changes, limits);
  const user = options.user ?? account;
  const accId = await requireAccount(ctx, account);
  await writeTx(ctx, accId, async (q) => {
    const box = await mailboxKey(q, accId, mailboxId);
    for (const c of changes) {
      const name = c.name.toLowerCase();
      const owner = ownerOf(user, name);
      if (c.value === null) await q.run('DELETE FROM metadata WHERE mailbox_id = ? AND owner = ? AND name = ?', box, owner, name);
      else
        await q.run(
          'INSERT INTO metadata (mailbox_id, owner, name, value) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox_id, owner, name) DO UPDATE SET value = excluded.value',
          box,
          owner,
          name,
          c.value,
        );
    }
    const n = (await q.get<{ n: number }>("SELECT count(*)::int AS n FROM metadata WHERE mailbox_id = ? AND owner IN (?, '')", box, user))!.n;
    // Thrown inside the transaction: it rolls back, nothing of this write is kept.
    if (n > limits.maxEntries) throw new MetadataLimitError('count', limits.maxEntries);
  }, () => [metadataChanged(account, mailboxId, changes, user, options.origin)]);
}
