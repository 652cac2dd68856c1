// The store's PushSubscriptionStore over SQLite (table `push_subscription` of store.sqlite). Each
// write is its own ordinary commit, as for revocations: there are few, and a client is told its
// subscription exists only once it is on disk.
import type { PushSubscriptionChanges, PushSubscriptionRecord } from '../api/push-subscriptions.js';
import { sql, type Ctx } from './context.js';

export interface Row {
  id: string;
  user: string;
  credential: string;
  issuer: string | null;
  sid: string | null;
  subject: string | null;
  device_client_id: string;
  url: string;
  p256dh: string | null;
  auth: string | null;
  verification_code: string;
  verified: number;
  expires_at: number;
  types: string | null;
  created_at: number;
}

export function fromRow(r: Row): PushSubscriptionRecord {
  return {
    id: r.id,
    user: r.user,
    binding: {
      credential: r.credential,
      ...(r.issuer !== null ? { issuer: r.issuer } : {}),
      ...(r.sid !== null ? { sid: r.sid } : {}),
      ...(r.subject !== null ? { subject: r.subject } : {}),
    },
    deviceClientId: r.device_client_id,
    url: r.url,
    keys: r.p256dh !== null && r.auth !== null ? { p256dh: r.p256dh, auth: r.auth } : null,
    verificationCode: r.verification_code,
    verified: r.verified === 1,
    expires: new Date(r.expires_at),
    types: r.types === null ? null : (JSON.parse(r.types) as string[]),
    createdAt: new Date(r.created_at),
  };
}

export function listPushSubscriptions(ctx: Ctx, user: string | undefined): PushSubscriptionRecord[] {
  const rows = (
    user === undefined
      ? sql(ctx, 'SELECT * FROM push_subscription ORDER BY created_at, id').all()
      : sql(ctx, 'SELECT * FROM push_subscription WHERE user = ? ORDER BY created_at, id').all(user)
  ) as Row[];
  return rows.map(fromRow);
}

export function addPushSubscription(ctx: Ctx, r: PushSubscriptionRecord): void {
  sql(
    ctx,
    `INSERT INTO push_subscription (id, user, credential, issuer, sid, subject, device_client_id, url, p256dh, auth,
       verification_code, verified, expires_at, types, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
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

export function updatePushSubscription(ctx: Ctx, id: string, c: PushSubscriptionChanges): boolean {
  const row = sql(ctx, 'SELECT verified, expires_at, types FROM push_subscription WHERE id = ?').get(id) as
    | Pick<Row, 'verified' | 'expires_at' | 'types'>
    | undefined;
  if (row === undefined) return false;
  const verified = c.verified === undefined ? row.verified : c.verified ? 1 : 0;
  const expires = c.expires === undefined ? row.expires_at : c.expires.getTime();
  const types = c.types === undefined ? row.types : c.types === null ? null : JSON.stringify(c.types);
  sql(ctx, 'UPDATE push_subscription SET verified = ?, expires_at = ?, types = ? WHERE id = ?').run(verified, expires, types, id);
  return true;
}

export function deletePushSubscriptions(ctx: Ctx, ids: readonly string[]): number {
  if (ids.length === 0) return 0;
  // RFC 8620 §7.2: the URL and keys are erased "as soon as possible". secure_delete makes SQLite
  // overwrite the deleted cells with zeros; it is switched on for these statements only (the
  // connection is used synchronously, so nothing else runs in between), as mail deletes need not pay it.
  ctx.db.pragma('secure_delete = ON');
  try {
    return ctx.db.transaction(() => {
      let n = 0;
      for (const id of ids) n += sql(ctx, 'DELETE FROM push_subscription WHERE id = ?').run(id).changes;
      return n;
    })();
  } finally {
    ctx.db.pragma('secure_delete = OFF');
  }
}
