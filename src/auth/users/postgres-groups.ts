// Group membership of the embedded repository on PostgreSQL (table user_groups, postgres-database.ts).
import { isPgError, type UsersPg } from './postgres-database.js';
import type { AddMemberOutcome, GroupTable } from './tables.js';

const FOREIGN_KEY_VIOLATION = '23503';

export class PostgresGroupTable implements GroupTable {
  constructor(private readonly db: UsersPg) {}

  private async column(sql: string, params: string[]): Promise<string[]> {
    return (await this.db.all<{ v: string }>(sql, params)).map((r) => r.v);
  }

  groupsOf(username: string): Promise<string[]> {
    return this.column('SELECT group_name AS v FROM user_groups WHERE username = $1 ORDER BY group_name COLLATE "C"', [username]);
  }

  list(): Promise<string[]> {
    return this.column('SELECT DISTINCT group_name COLLATE "C" AS v FROM user_groups ORDER BY 1', []);
  }

  members(group: string): Promise<string[]> {
    return this.column('SELECT username AS v FROM user_groups WHERE group_name = $1 ORDER BY username COLLATE "C"', [group]);
  }

  async addMember(group: string, username: string, at: string): Promise<AddMemberOutcome> {
    try {
      // The foreign key refuses a user that does not exist, even one removed by another node meanwhile.
      const added = await this.db.exec(
        'INSERT INTO user_groups (group_name, username, created_at) VALUES ($1, $2, $3) ON CONFLICT (group_name, username) DO NOTHING',
        [group, username, at],
      );
      return added > 0 ? 'added' : 'already';
    } catch (err) {
      const cause = (err as Error).cause;
      if (isPgError(cause) && cause.code === FOREIGN_KEY_VIOLATION) return 'unknown-user';
      throw err;
    }
  }

  async removeMember(group: string, username: string): Promise<boolean> {
    return (await this.db.exec('DELETE FROM user_groups WHERE group_name = $1 AND username = $2', [group, username])) > 0;
  }

  deleteGroup(group: string): Promise<number> {
    return this.db.exec('DELETE FROM user_groups WHERE group_name = $1', [group]);
  }
}
