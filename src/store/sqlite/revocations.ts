// The store's RevocationStore over SQLite (tables `revoked` and `logout_jti` of store.sqlite). Each
// write is its own ordinary commit, made under synchronous=FULL: it is on disk when it resolves.
import type { Revocation, RevocationKind, RevocationLookup } from '../revocations.js';
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
  return revokedAtEach(ctx, [{ kind, value, issuers }], now)[0];
}

/** Statement texts by shape (issuers per lookup, e.g. "2,2,1"): a login's look-ups have one of a few shapes. */
const lookupSqlByShape = new Map<string, string>();

/**
 * Asked on every token login and JMAP request: one statement (cached per shape: the number of
 * lookups and of issuers in each) whose branches each use the (kind, value, issuer) key. The text is
 * built once per shape: rebuilding it, and hashing the new string of some hundred characters to find
 * the prepared statement, was a tenth of the call's time.
 */
function lookupSql(asked: readonly RevocationLookup[]): string {
  const shape = asked.map((l) => l.issuers.length).join(',');
  let text = lookupSqlByShape.get(shape);
  if (text === undefined) {
    text = asked
      .map(
        (l, i) =>
          `SELECT ${i} AS i, max(revoked_at) AS at FROM revoked WHERE kind = ? AND value = ? AND issuer IN (${l.issuers.map(() => '?').join(', ')}) AND expires_at > ?`,
      )
      .join(' UNION ALL ');
    lookupSqlByShape.set(shape, text);
  }
  return text;
}

export function revokedAtEach(ctx: Ctx, lookups: readonly RevocationLookup[], now: Date): Array<Date | undefined> {
  const asked = lookups.filter((l) => l.issuers.length > 0);
  if (asked.length === 0) return lookups.map(() => undefined);
  const params = asked.flatMap((l) => [l.kind, l.value, ...l.issuers, now.getTime()]);
  const rows = sql(ctx, lookupSql(asked)).all(...params) as Array<{ i: number; at: number | null }>;
  const found = new Map<RevocationLookup, Date>();
  for (const row of rows) if (row.at != null) found.set(asked[row.i]!, new Date(row.at));
  return lookups.map((l) => found.get(l));
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
