// The store's PushSubscriptionStore on PostgreSQL (table push_subscription; the owner's column is
// user_name, "user" being reserved). Rows convert as on SQLite. Each write is its own commit.
import type { PushSubscriptionChanges, PushSubscriptionRecord } from '../api/push-subscriptions.js';
import { fromRow, type Row } from '../sqlite/push-subscriptions.js';
import type { Ctx } from './context.js';

const COLUMNS = `id, user_name AS "user", credential, issuer, sid, subject, device_client_id, url, p256dh, auth,
  verification_code, verified, expires_at, types, created_at`;

export async function listPushSubscriptions(ctx: Ctx, user: string | undefined): Promise<PushSubscriptionRecord[]> {
  const rows =
    user === undefined
      ? await ctx.q.all<Row>(`SELECT ${COLUMNS} FROM push_subscription ORDER BY created_at, id`)
      : await ctx.q.all<Row>(`SELECT ${COLUMNS} FROM push_subscription WHERE user_name = ? ORDER BY created_at, id`, user);
  return rows.map(fromRow);
}

export async function addPushSubscription(ctx: Ctx, r: PushSubscriptionRecord): Promise<void> {
  await ctx.q.run(
    `INSERT INTO push_subscription (id, user_name, credential, issuer, sid, subject, device_client_id, url, p256dh, auth,
       verification_code, verified, expires_at, types, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.id,
    r.user,
    r.binding.credential,
    r.binding.issuer ?? null,
    r.binding.sid ?? null,
    r.binding.subject ?? null,
    r.deviceClientId,
    r.url,
    r.keys?.p256dh ?? null,
    r.keys?.auth ?? null,
    r.verificationCode,
    r.verified ? 1 : 0,
    r.expires.getTime(),
    r.types === null ? null : JSON.stringify(r.types),
    r.createdAt.getTime(),
  );
}

export async function updatePushSubscription(ctx: Ctx, id: string, c: PushSubscriptionChanges): Promise<boolean> {
  const sets: string[] = [];
  const values: Array<string | number | null> = [];
  if (c.verified !== undefined) {
    sets.push('verified = ?');
    values.push(c.verified ? 1 : 0);
  }
  if (c.expires !== undefined) {
    sets.push('expires_at = ?');
    values.push(c.expires.getTime());
  }
  if (c.types !== undefined) {
    sets.push('types = ?');
    values.push(c.types === null ? null : JSON.stringify(c.types));
  }
  // With nothing to change, the statement still tells whether the subscription exists.
  const set = sets.length ? sets.join(', ') : 'id = id';
  return (await ctx.q.run(`UPDATE push_subscription SET ${set} WHERE id = ?`, ...values, id)) > 0;
}

export async function deletePushSubscriptions(ctx: Ctx, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return ctx.q.run('DELETE FROM push_subscription WHERE id = ANY(?::text[])', ids);
}
