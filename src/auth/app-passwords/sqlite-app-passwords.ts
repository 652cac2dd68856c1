// App passwords in users.sqlite (table app_passwords, see ../users/database.ts): written by the CLI
// and by the server (JMAP), read by the server on every app-password login. Only scrypt hashes are
// kept, made with the users repository's own hashing.
import { withDatabase, type UsersDatabase } from '../users/database.js';
import { isAppPasswordScope, type AppPasswordRecord, type AppPasswordScope } from './types.js';

interface Row {
  id: string;
  username: string;
  name: string;
  password_hash: string;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
}

/** A stored app password with its hash, for the service's eyes only. */
export interface StoredAppPassword {
  record: AppPasswordRecord;
  hash: string;
}

export class SqliteAppPasswords {
  constructor(private readonly db: UsersDatabase) {}

  insert(record: AppPasswordRecord, hash: string): void {
    withDatabase(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO app_passwords (id, username, name, password_hash, scopes, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(record.id, record.user, record.name, hash, record.scopes.join(' '), record.createdAt.toISOString(), record.expiresAt?.toISOString() ?? null),
    );
  }

  get(id: string): StoredAppPassword | undefined {
    const row = withDatabase(this.db, () => this.db.prepare('SELECT * FROM app_passwords WHERE id = ?').get(id)) as Row | undefined;
    return row ? { record: toRecord(row), hash: row.password_hash } : undefined;
  }

  listByUser(user: string): AppPasswordRecord[] {
    const rows = withDatabase(this.db, () =>
      this.db.prepare('SELECT * FROM app_passwords WHERE username = ? ORDER BY created_at, id').all(user),
    ) as Row[];
    return rows.map(toRecord);
  }

  countByUser(user: string): number {
    const row = withDatabase(this.db, () => this.db.prepare('SELECT count(*) AS n FROM app_passwords WHERE username = ?').get(user)) as { n: number };
    return row.n;
  }

  /** True when a row of that user was deleted. */
  delete(user: string, id: string): boolean {
    return withDatabase(this.db, () => this.db.prepare('DELETE FROM app_passwords WHERE id = ? AND username = ?').run(id, user)).changes === 1;
  }

  /** True when a row of that user was renamed. */
  rename(user: string, id: string, name: string): boolean {
    return withDatabase(this.db, () => this.db.prepare('UPDATE app_passwords SET name = ? WHERE id = ? AND username = ?').run(name, id, user)).changes === 1;
  }

  markUsed(id: string, at: Date, ip: string): void {
    withDatabase(this.db, () =>
      this.db.prepare('UPDATE app_passwords SET last_used_at = ?, last_used_ip = ? WHERE id = ?').run(at.toISOString(), ip, id),
    );
  }
}

function toRecord(row: Row): AppPasswordRecord {
  const scopes = row.scopes.split(' ').filter((s): s is AppPasswordScope => isAppPasswordScope(s));
  return {
    id: row.id,
    user: row.username,
    name: row.name,
    scopes,
    createdAt: new Date(row.created_at),
    ...(row.expires_at !== null ? { expiresAt: new Date(row.expires_at) } : {}),
    ...(row.last_used_at !== null ? { lastUsedAt: new Date(row.last_used_at) } : {}),
    ...(row.last_used_ip !== null ? { lastUsedIp: row.last_used_ip } : {}),
  };
}
