// Group membership of the embedded repository in users.sqlite (table user_groups, database.ts).
import { withDatabase, type UsersDatabase } from './database.js';
import type { AddMemberOutcome, GroupTable } from './tables.js';

export class SqliteGroupTable implements GroupTable {
  constructor(private readonly db: UsersDatabase) {}

  private column(sql: string, ...params: unknown[]): string[] {
    return withDatabase(this.db, () => this.db.prepare(sql).pluck().all(...params) as string[]);
  }

  async groupsOf(username: string): Promise<string[]> {
    return this.column('SELECT group_name FROM user_groups WHERE username = ? ORDER BY group_name', username);
  }

  async list(): Promise<string[]> {
    return this.column('SELECT DISTINCT group_name FROM user_groups ORDER BY group_name');
  }

  async members(group: string): Promise<string[]> {
    return this.column('SELECT username FROM user_groups WHERE group_name = ? ORDER BY username', group);
  }

  async addMember(group: string, username: string, at: string): Promise<AddMemberOutcome> {
    return withDatabase(this.db, () =>
      this.db
        .transaction((): AddMemberOutcome => {
          if (this.db.prepare('SELECT 1 FROM users WHERE username = ?').get(username) === undefined) return 'unknown-user';
          const run = this.db.prepare('INSERT OR IGNORE INTO user_groups (group_name, username, created_at) VALUES (?, ?, ?)').run(group, username, at);
          return run.changes > 0 ? 'added' : 'already';
        })
        .immediate(),
    );
  }

  async removeMember(group: string, username: string): Promise<boolean> {
    return withDatabase(this.db, () => this.db.prepare('DELETE FROM user_groups WHERE group_name = ? AND username = ?').run(group, username)).changes > 0;
  }

  async deleteGroup(group: string): Promise<number> {
    return withDatabase(this.db, () => this.db.prepare('DELETE FROM user_groups WHERE group_name = ?').run(group)).changes;
  }
}
