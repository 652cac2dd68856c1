// Share notifications over SQLite (table share_notification; see ../api/share-notifications.ts).
// Sequence numbers come from one counter in `meta`, taken inside the writing transaction; SQLite has
// one writer, so they are committed in order and a state never skips a change.
import type { ShareNotification, ShareNotificationChanges, ShareNotificationDestroyResult } from '../api/share-notifications.js';
import {
  notificationChanges, notificationSeq, notificationState, toNotification, type RecordedShare, type ShareChange, type ShareNotificationRow,
} from '../share-notification-log.js';
import { publishAll, readTx, sql, writeTx, type Ctx } from './context.js';

function nextSeq(ctx: Ctx): number {
  const v = sql(ctx, "INSERT INTO meta (key, value) VALUES ('share_notification_seq', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value")
    .pluck()
    .get() as string;
  return Number(v);
}

function rowsOf(ctx: Ctx, user: string): ShareNotificationRow[] {
  return sql(ctx, 'SELECT * FROM share_notification WHERE recipient = ? ORDER BY seq').all(user) as ShareNotificationRow[];
}

function stateOf(ctx: Ctx, user: string): string {
  const r = sql(ctx, 'SELECT MAX(seq) AS seq, MAX(destroyed_seq) AS destroyed_seq FROM share_notification WHERE recipient = ?').get(user) as {
    seq: number | null;
    destroyed_seq: number | null;
  };
  return notificationState([{ seq: r.seq ?? 0, destroyed_seq: r.destroyed_seq }]);
}

/** Records a rights change; called inside the rights change's write transaction. */
export function recordShareChange(ctx: Ctx, c: ShareChange): RecordedShare {
  const seq = nextSeq(ctx);
  sql(
    ctx,
    `INSERT INTO share_notification (seq, recipient, created_at, changed_by, owner, mailbox_id, name, old_rights, new_rights)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(seq, c.recipient, Date.now(), c.changedBy, c.owner, c.mailboxId, c.name, c.oldRights, c.newRights);
  return { recipient: c.recipient, state: String(seq) };
}

export function shareNotifications(ctx: Ctx, user: string): { state: string; list: ShareNotification[] } {
  return readTx(ctx, () => {
    const rows = rowsOf(ctx, user);
    return { state: notificationState(rows), list: rows.filter((r) => r.destroyed_seq === null).map(toNotification) };
  });
}

export function shareNotificationChanges(ctx: Ctx, user: string, sinceState: string, maxChanges?: number): ShareNotificationChanges {
  return readTx(ctx, () => {
    const rows = rowsOf(ctx, user);
    return notificationChanges(rows, sinceState, notificationState(rows), maxChanges);
  });
}

export async function destroyShareNotifications(ctx: Ctx, user: string, ids: readonly string[]): Promise<ShareNotificationDestroyResult> {
  const result = writeTx(ctx, () => {
    const oldState = stateOf(ctx, user);
    const destroyed: string[] = [];
    const notFound: string[] = [];
    for (const id of ids) {
      const seq = notificationSeq(id);
      const live = seq !== null && sql(ctx, 'SELECT 1 FROM share_notification WHERE seq = ? AND recipient = ? AND destroyed_seq IS NULL').get(seq, user) !== undefined;
      if (!live) {
        notFound.push(id);
        continue;
      }
      sql(ctx, 'UPDATE share_notification SET destroyed_seq = ? WHERE seq = ?').run(nextSeq(ctx), seq);
      destroyed.push(id);
    }
    return { oldState, newState: stateOf(ctx, user), destroyed, notFound };
  });
  if (result.destroyed.length > 0) await publishAll(ctx, [{ type: 'state-changed', account: user, changed: { ShareNotification: result.newState } }]);
  return result;
}
