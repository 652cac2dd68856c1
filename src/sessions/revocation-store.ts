// Where revocations outlive a restart: <dataDir>/revocations.sqlite. The mail store's own registry
// (MailStore.revoke/isRevoked) keeps only "revoked until": it has no revocation time, so it cannot say
// whether a token was issued before or after a sub/user revocation (a user who logs out at the provider
// and logs in again must get in), and it has no place for the logout-token jtis kept against replay.
// This small store keeps both; the interface is async so a PostgreSQL one can replace it for several
// nodes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type RevokedKind = 'sid' | 'jti' | 'sub' | 'user';

export interface RevocationEntry {
  kind: RevokedKind;
  value: string;
  /** Issuer the value belongs to; '' = any issuer. */
  issuer: string;
  revokedAt: Date;
  expiresAt: Date;
}

export interface RevocationStore {
  /** Records (or extends) a revocation: the later revokedAt and expiresAt win. */
  add(entry: RevocationEntry): Promise<void>;
  /**
   * The latest revocation time of `kind`/`value` for any of `issuers` that has not expired, or
   * undefined when there is none.
   */
  revokedAt(kind: RevokedKind, value: string, issuers: readonly string[]): Promise<Date | undefined>;
  /** Remembers a logout token's jti; false when it was already seen (a replay). Atomic. */
  rememberLogoutJti(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
  /** Drops expired revocations and jtis; returns how many rows went. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  issuer TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value, issuer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revoked_expiry ON revoked(expires_at);
CREATE TABLE IF NOT EXISTS logout_jti (
  issuer TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logout_jti_expiry ON logout_jti(expires_at);
`;

export const REVOCATIONS_FILE = 'revocations.sqlite';

export class SqliteRevocationStore implements RevocationStore {
  private readonly db: Database.Database;
  private readonly insertRevoked: Database.Statement;
  private readonly insertJti: Database.Statement;
  private readonly refreshJti: Database.Statement;
  /** revokedAt() runs on every JMAP request: one prepared statement per issuer-list length. */
  private readonly lookups = new Map<number, Database.Statement>();

  /** Opens (creating if needed) `<dataDir>/revocations.sqlite`. */
  constructor(dataDir: string, private readonly now: () => number = Date.now) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, REVOCATIONS_FILE));
    // WAL + synchronous=FULL: a revocation acknowledged to the provider (200) survives a crash.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insertRevoked = this.db.prepare(
      `INSERT INTO revoked (kind, value, issuer, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, value, issuer) DO UPDATE SET
         revoked_at = max(revoked_at, excluded.revoked_at),
         expires_at = max(expires_at, excluded.expires_at)`,
    );
    // An expired row for the same jti does not make a new token a replay: replace it.
    this.refreshJti = this.db.prepare('DELETE FROM logout_jti WHERE issuer = ? AND jti = ? AND expires_at <= ?');
    this.insertJti = this.db.prepare('INSERT OR IGNORE INTO logout_jti (issuer, jti, expires_at) VALUES (?, ?, ?)');
  }

  async add(entry: RevocationEntry): Promise<void> {
    this.insertRevoked.run(entry.kind, entry.value, entry.issuer, entry.revokedAt.getTime(), entry.expiresAt.getTime());
  }

  async revokedAt(kind: RevokedKind, value: string, issuers: readonly string[]): Promise<Date | undefined> {
    if (issuers.length === 0) return undefined;
    let lookup = this.lookups.get(issuers.length);
    if (!lookup) {
      const marks = issuers.map(() => '?').join(', ');
      lookup = this.db.prepare(
        `SELECT max(revoked_at) AS at FROM revoked WHERE kind = ? AND value = ? AND issuer IN (${marks}) AND expires_at > ?`,
      );
      this.lookups.set(issuers.length, lookup);
    }
    const row = lookup.get(kind, value, ...issuers, this.now()) as { at: number | null } | undefined;
    return row?.at == null ? undefined : new Date(row.at);
  }

  async rememberLogoutJti(issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
    const remember = this.db.transaction(() => {
      this.refreshJti.run(issuer, jti, this.now());
      return this.insertJti.run(issuer, jti, expiresAt.getTime()).changes === 1;
    });
    return remember();
  }

  async purgeExpired(): Promise<number> {
    const at = this.now();
    const a = this.db.prepare('DELETE FROM revoked WHERE expires_at <= ?').run(at).changes;
    const b = this.db.prepare('DELETE FROM logout_jti WHERE expires_at <= ?').run(at).changes;
    return a + b;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
