// The store's RevocationStore on PostgreSQL (tables revoked and logout_jti). Every node asks the same
// rows, so a revocation written through one node holds on all of them once committed.
import type { Revocation, RevocationKind, RevocationLookup } from '../revocations.js';
import type { Ctx } from './context.js';
import { transaction } from './db.js';

export async function addRevocation(ctx: Ctx, r: Revocation): Promise<void> {
  await ctx.q.run(
    `INSERT INTO revoked (kind, value, issuer, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (kind, value, issuer) DO UPDATE SET
       revoked_at = greatest(revoked.revoked_at, excluded.revoked_at),
       expires_at = greatest(revoked.expires_at, excluded.expires_at)`,
    r.kind,
    r.value,
    r.issuer,
    r.revokedAt.getTime(),
    r.expiresAt.getTime(),
  );
}

export async function revokedAt(ctx: Ctx, kind: RevocationKind, value: string, issuers: readonly string[], now: Date): Promise<Date | undefined> {
  return (await revokedAtEach(ctx, [{ kind, value, issuers }], now))[0];
}

export async function revokedAtEach(ctx: Ctx, lookups: readonly RevocationLookup[], now: Date): Promise<Array<Date | undefined>> {
  const asked = lookups.filter((l) => l.issuers.length > 0);
  if (asked.length === 0) return lookups.map(() => undefined);
  // One round trip for all of a login's questions; each branch uses the (kind, value, issuer) key.
  const branches = asked.map(
    (_, i) => `SELECT ${i} AS i, max(revoked_at) AS at FROM revoked WHERE kind = ? AND value = ? AND issuer = ANY(?::text[]) AND expires_at > ?`,
  );
  const params = asked.flatMap((l) => [l.kind, l.value, l.issuers, now.getTime()]);
  const rows = await ctx.q.all<{ i: number; at: number | null }>(branches.join(' UNION ALL '), ...params);
  const found = new Map<RevocationLookup, Date>();
  for (const row of rows) if (row.at != null) found.set(asked[row.i]!, new Date(row.at));
  return lookups.map((l) => found.get(l));
}

export async function rememberLogoutJti(ctx: Ctx, issuer: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  // The primary key decides between two nodes receiving the same token at once: one insert wins, the
  // other waits for it and then inserts nothing. An expired row does not make a new token a replay.
  return transaction(ctx.pool, async (q) => {
    await q.run('DELETE FROM logout_jti WHERE issuer = ? AND jti = ? AND expires_at <= ?', issuer, jti, now.getTime());
    return (await q.run('INSERT INTO logout_jti (issuer, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', issuer, jti, expiresAt.getTime())) === 1;
  });
}

export async function purgeExpiredRevocations(ctx: Ctx, now: Date): Promise<number> {
  const at = now.getTime();
  return (await ctx.q.run('DELETE FROM revoked WHERE expires_at <= ?', at)) + (await ctx.q.run('DELETE FROM logout_jti WHERE expires_at <= ?', at));
}
