// Share notifications over PostgreSQL (table share_notification, migration 5; see
// ../api/share-notifications.ts), as the SQLite engine's (../sqlite/share-notifications.ts). Sequence
// numbers come from share_notification_seq; every writer of a recipient's notifications first takes
// a transaction-scoped advisory lock on the recipient, so their numbers commit in order and a state
// a client read never skips a later change.
import type { ShareNotification, ShareNotificationChanges, ShareNotificationDestroyResult } from '../api/share-notifications.js';
import {
  notificationChanges, notificationSeq, notificationState, toNotification, type RecordedShare, type ShareChange, type ShareNotificationRow,
} from '../share-notification-log.js';
import { eventTx, readTx, type Ctx } from './context.js';
import type { Conn } from './db.js';

async function lockRecipient(q: Conn, user: string): Promise<void> {
  await q.get("SELECT pg_advisory_xact_lock(hashtext('share_notification:' || ?))", user);
}

async function nextSeq(q: Conn): Promise<number> {
  const [v] = await q.pluck<string | number>("SELECT nextval('share_notification_seq')");
  return Number(v);
}

async function rowsOf(q: Conn, user: string): Promise<ShareNotificationRow[]> {
  const rows = await q.all<ShareNotificationRow>('SELECT * FROM share_notification WHERE recipient = ? ORDER BY seq', user);
  return rows.map((r) => ({ ...r, seq: Number(r.seq), destroyed_seq: r.destroyed_seq === null ? null : Number(r.destroyed_seq), created_at: Number(r.created_at) }));
}

/** Records a rights change; called inside the rights change's write transaction. */
export async function recordShareChange(q: Conn, c: ShareChange): Promise<RecordedShare> {
  await lockRecipient(q, c.recipient);
  const seq = await nextSeq(q);
  await q.run(
    `INSERT INTO share_notification (seq, recipient, created_at, changed_by, owner, mailbox_id, name, old_rights, new_rights)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    seq, c.recipient, Date.now(), c.changedBy, c.owner, c.mailboxId, c.name, c.oldRights, c.newRights,
  );
  return { recipient: c.recipient, state: String(seq) };
}

export function shareNotifications(ctx: Ctx, user: string): Promise<{ state: string; list: ShareNotification[] }> {
  return readTx(ctx, async (q) => {
    const rows = await rowsOf(q, user);
    return { state: notificationState(rows), list: rows.filter((r) => r.destroyed_seq === null).map(toNotification) };
  });
}

export function shareNotificationChanges(ctx: Ctx, user: string, sinceState: string, maxChanges?: number): Promise<ShareNotificationChanges> {
  return readTx(ctx, async (q) => {
    const rows = await rowsOf(q, user);
    return notificationChanges(rows, sinceState, notificationState(rows), maxChanges);
  });
}

export async function destroyShareNotifications(ctx: Ctx, user: string, ids: readonly string[]): Promise<ShareNotificationDestroyResult> {
  return eventTx(ctx, async (q) => {
    await lockRecipient(q, user);
    const oldState = notificationState(await rowsOf(q, user));
    const destroyed: string[] = [];
    const notFound: string[] = [];
    for (const id of ids) {
      const seq = notificationSeq(id);
      const live = seq !== null && (await q.get('SELECT 1 FROM share_notification WHERE seq = ? AND recipient = ? AND destroyed_seq IS NULL', seq, user)) !== undefined;
      if (!live) {
        notFound.push(id);
        continue;
      }
      await q.run('UPDATE share_notification SET destroyed_seq = ? WHERE seq = ?', await nextSeq(q), seq);
      destroyed.push(id);
    }
    return { oldState, newState: notificationState(await rowsOf(q, user)), destroyed, notFound };
  }, (result) => (result.destroyed.length > 0 ? [{ type: 'state-changed', account: user, changed: { ShareNotification: result.newState } }] : []));
}
