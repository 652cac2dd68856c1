// App passwords on PostgreSQL (storage.engine=postgres), table app_passwords of the users database
// (../users/postgres-database.ts): created on one node, accepted and revoked on every node.
import type { UsersPg } from '../users/postgres-database.js';
import { toRecord, type AppPasswordRow } from './rows.js';
import type { AppPasswordRecord, AppPasswordStore, StoredAppPassword } from './types.js';

export class PostgresAppPasswords implements AppPasswordStore {
  constructor(private readonly db: UsersPg) {}

  async insert(record: AppPasswordRecord, hash: string): Promise<void> {
    await this.db.exec(
      `INSERT INTO app_passwords (id, username, name, password_hash, scopes, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [record.id, record.user, record.name, hash, record.scopes.join(' '), record.createdAt.toISOString(), record.expiresAt?.toISOString() ?? null],
    );
  }

  async get(id: string): Promise<StoredAppPassword | undefined> {
    const row = await this.db.get<AppPasswordRow>('SELECT * FROM app_passwords WHERE id = $1', [id]);
    return row ? { record: toRecord(row), hash: row.password_hash } : undefined;
  }

  async listByUser(user: string): Promise<AppPasswordRecord[]> {
    return (await this.db.all<AppPasswordRow>('SELECT * FROM app_passwords WHERE username = $1 ORDER BY created_at, id', [user])).map(toRecord);
  }

  async countByUser(user: string): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*)::int AS n FROM app_passwords WHERE username = $1', [user]))!.n;
  }

  async delete(user: string, id: string): Promise<boolean> {
    return (await this.db.exec('DELETE FROM app_passwords WHERE id = $1 AND username = $2', [id, user])) === 1;
  }

  async rename(user: string, id: string, name: string): Promise<boolean> {
    return (await this.db.exec('UPDATE app_passwords SET name = $1 WHERE id = $2 AND username = $3', [name, id, user])) === 1;
  }

  async markUsed(id: string, at: Date, ip: string): Promise<void> {
    await this.db.exec('UPDATE app_passwords SET last_used_at = $1, last_used_ip = $2 WHERE id = $3', [at.toISOString(), ip, id]);
  }
}
