// App passwords in users.sqlite (table app_passwords, see ../users/database.ts): written by the CLI
// and by the server (JMAP), read by the server on every app-password login. Only scrypt hashes are
// kept, made with the users repository's own hashing.
import { prepared, withDatabase, type UsersDatabase } from '../users/database.js';
import type { AppPasswordRecord, AppPasswordStore, StoredAppPassword } from './types.js';
import { toRecord, type AppPasswordRow } from './rows.js';

export class SqliteAppPasswords implements AppPasswordStore {
  constructor(private readonly db: UsersDatabase) {}

  async insert(record: AppPasswordRecord, hash: string): Promise<void> {
    withDatabase(this.db, () =>
      prepared(this.db, 
          `INSERT INTO app_passwords (id, username, name, password_hash, scopes, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(record.id, record.user, record.name, hash, record.scopes.join(' '), record.createdAt.toISOString(), record.expiresAt?.toISOString() ?? null),
    );
  }

  async get(id: string): Promise<StoredAppPassword | undefined> {
    const row = withDatabase(this.db, () => prepared(this.db, 'SELECT * FROM app_passwords WHERE id = ?').get(id)) as AppPasswordRow | undefined;
    return row ? { record: toRecord(row), hash: row.password_hash } : undefined;
  }

  async listByUser(user: string): Promise<AppPasswordRecord[]> {
    const rows = withDatabase(this.db, () =>
      prepared(this.db, 'SELECT * FROM app_passwords WHERE username = ? ORDER BY created_at, id').all(user),
    ) as AppPasswordRow[];
    return rows.map(toRecord);
  }

  async countByUser(user: string): Promise<number> {
    const row = withDatabase(this.db, () => prepared(this.db, 'SELECT count(*) AS n FROM app_passwords WHERE username = ?').get(user)) as { n: number };
    return row.n;
  }

  async delete(user: string, id: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'DELETE FROM app_passwords WHERE id = ? AND username = ?').run(id, user)).changes === 1;
  }

  async rename(user: string, id: string, name: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'UPDATE app_passwords SET name = ? WHERE id = ? AND username = ?').run(name, id, user)).changes === 1;
  }

  async markUsed(id: string, at: Date, ip: string): Promise<void> {
    withDatabase(this.db, () =>
      prepared(this.db, 'UPDATE app_passwords SET last_used_at = ?, last_used_ip = ? WHERE id = ?').run(at.toISOString(), ip, id),
    );
  }
}
