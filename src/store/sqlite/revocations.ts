// The store's RevocationStore over SQLite (tables `revoked` and `logout_jti` of store.sqlite). Each
// write is its own ordinary commit, made under synchronous=FULL: it is on disk when it resolves.
import type { Revocation, RevocationKind } from '../revocations.js';
import { sql, type Ctx } from './context.js';

export function addRevocation(ctx: Ctx, r: Revocation): void {
  sql(
    ctx,
    `INSERT INTO revoked (kind, value, issuer, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (kind, value, issuer) DO UPDATE SET
       revoked_at = max(revoked_at, excluded.revoked_at),
       expires_at = max(expires_at, excluded.expires_at)`,
  ).run(r.kind, r.value, r.issuer, r.revokedAt.getTime(), r.expiresAt.getTime());
}

export function revokedAt(ctx: Ctx, kind: RevocationKind, value: string, issuers: readonly string[], now: Date): Date | undefined {
  if (issuers.length === 0) return undefined;
  // Asked on every token login and JMAP request: one cached statement per issuer-list length.
  const marks = issuers.map(() => '?').join(', ');
  const row = sql(
    ctx,
    `SELECT max(revoked_at) AS at FROM revoked WHERE kind = ? AND value = ? AND issuer IN (${marks}) AND expires_at > ?`,
  ).get(kind, value, ...issuers, now.getTime()) as { at: number | null } | undefined;
  return row?.at == null ? undefined : new Date(row.at);
}

export function rememberLogoutJti(ctx: Ctx, issuer: string, jti: string, expiresAt: Date, now: Date): boolean {
  // One immediate transaction: two nodes receiving the same token cannot both see it as new. An
  // expired row for the jti does not make a new token a replay, so it is replaced.
  return ctx.db
    .transaction(() => {
      sql(ctx, 'DELETE FROM logout_jti WHERE issuer = ? AND jti = ? AND expires_at <= ?').run(issuer, jti, now.getTime());
      return sql(ctx, 'INSERT OR IGNORE INTO logout_jti (issuer, jti, expires_at) VALUES (?, ?, ?)').run(issuer, jti, expiresAt.getTime()).changes === 1;
    })
    .immediate();
}

export function purgeExpiredRevocations(ctx: Ctx, now: Date): number {
  const at = now.getTime();
  return (
    sql(ctx, 'DELETE FROM revoked WHERE expires_at <= ?').run(at).changes +
    sql(ctx, 'DELETE FROM logout_jti WHERE expires_at <= ?').run(at).changes
  );
}
