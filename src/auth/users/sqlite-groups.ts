// Group membership of the embedded repository in users.sqlite (table user_groups, database.ts).
import { prepared, withDatabase, type UsersDatabase } from './database.js';
import type { AddMemberOutcome, GroupTable } from './tables.js';

export class SqliteGroupTable implements GroupTable {
  constructor(private readonly db: UsersDatabase) {}

  private column(sql: string, ...params: unknown[]): string[] {
    // Every query here names its one column `v` (the cached statement is shared: no pluck mode).
    return withDatabase(this.db, () => (prepared(this.db, sql).all(...params) as Array<{ v: string }>).map((r) => r.v));
  }

  async groupsOf(username: string): Promise<string[]> {
    return this.column('SELECT group_name AS v FROM user_groups WHERE username = ? ORDER BY group_name', username);
  }

  async list(): Promise<string[]> {
    return this.column('SELECT DISTINCT group_name AS v FROM user_groups ORDER BY group_name');
  }

  async members(group: string): Promise<string[]> {
    return this.column('SELECT username AS v FROM user_groups WHERE group_name = ? ORDER BY username', group);
  }

  async addMember(group: string, username: string, at: string): Promise<AddMemberOutcome> {
    return withDatabase(this.db, () =>
      this.db
        .transaction((): AddMemberOutcome => {
          if (prepared(this.db, 'SELECT 1 FROM users WHERE username = ?').get(username) === undefined) return 'unknown-user';
          const run = prepared(this.db, 'INSERT OR IGNORE INTO user_groups (group_name, username, created_at) VALUES (?, ?, ?)').run(group, username, at);
          return run.changes > 0 ? 'added' : 'already';
        })
        .immediate(),
    );
  }

  async removeMember(group: string, username: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'DELETE FROM user_groups WHERE group_name = ? AND username = ?').run(group, username)).changes > 0;
  }

  async deleteGroup(group: string): Promise<number> {
    return withDatabase(this.db, () => prepared(this.db, 'DELETE FROM user_groups WHERE group_name = ?').run(group)).changes;
  }
}
