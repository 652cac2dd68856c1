// Moves a node's users.sqlite (users, domains, markers, app passwords, the rewrite table) into the
// users tables on PostgreSQL, for `tessera migrate --to postgres`. One transaction: a failure leaves
// the target as it was. A target that already holds rows is refused unless `force` (then they are
// replaced), so running the command twice never merges two directories by accident. After the commit
// every table's rows are counted on both sides.
import { existsSync } from 'node:fs';
import type pg from 'pg';
import { openUsersDatabase, usersDatabasePath, type UsersDatabase } from './database.js';
import { UsersPg, type PgParam, type UsersPostgresSettings } from './postgres-database.js';
import { multiRowInsert, TargetNotEmptyError, type CopyOptions, type TableCount } from '../../core/table-copy.js';

export { TargetNotEmptyError, type CopyOptions, type TableCount };

/** Source table (users.sqlite) → target table (PostgreSQL), the columns copied, and the copy order. */
const TABLES: ReadonlyArray<{ source: string; target: string; columns: readonly string[]; order: string }> = [
  { source: 'domains', target: 'domains', columns: ['name', 'created_at'], order: 'name' },
  // In rowid order, so the target's insertion order (seq) keeps "the user created first".
  { source: 'users', target: 'users', columns: ['username', 'domain', 'password_hash', 'created_at', 'updated_at'], order: 'rowid' },
  { source: 'user_groups', target: 'user_groups', columns: ['group_name', 'username', 'created_at'], order: 'group_name, username' },
  { source: 'meta', target: 'users_meta', columns: ['key', 'value'], order: 'key' },
  {
    source: 'app_passwords',
    target: 'app_passwords',
    columns: ['id', 'username', 'name', 'password_hash', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'last_used_ip'],
    order: 'id',
  },
  { source: 'recipient_rewrites', target: 'recipient_rewrites', columns: ['kind', 'source', 'target', 'created_at'], order: 'kind, source, target' },
];

const BATCH = 500;

/** Copies users.sqlite of `dataDir` into PostgreSQL; returns the row count of every table on both sides. */
export async function copyUsersDatabaseToPostgres(dataDir: string, target: UsersPostgresSettings, options: CopyOptions = {}): Promise<TableCount[]> {
  if (!existsSync(usersDatabasePath(dataDir))) throw new Error(`there is no users database at ${usersDatabasePath(dataDir)}`);
  const source = openUsersDatabase(dataDir);
  let db: UsersPg | undefined;
  try {
    db = await UsersPg.open(target);
    const sourceCounts = TABLES.map((t) => countSource(source, t.source));
    const total = sourceCounts.reduce((a, b) => a + b, 0);
    await db.transaction(async (c) => {
      // Nodes may be running on the target: no user may be added between the check and the copy.
      for (const t of TABLES) await c.query(`LOCK TABLE ${t.target} IN SHARE ROW EXCLUSIVE MODE`);
      const occupied: string[] = [];
      for (const t of TABLES) if ((await countTarget(c, t.target)) > 0) occupied.push(t.target);
      if (occupied.length > 0) {
        if (!options.force) {
          throw new TargetNotEmptyError(`the PostgreSQL users tables already hold rows (${occupied.join(', ')}); use --force to replace them`);
        }
        for (const t of [...TABLES].reverse()) await c.query(`DELETE FROM ${t.target}`);
      }
      let done = 0;
      options.onProgress?.(0, total);
      for (const t of TABLES) {
        const rows = source.prepare(`SELECT ${t.columns.join(', ')} FROM ${t.source} ORDER BY ${t.order}`).raw().iterate() as IterableIterator<PgParam[]>;
        let batch: PgParam[][] = [];
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          await c.query(multiRowInsert(t.target, t.columns, batch.length), batch.flat());
          done += batch.length;
          batch = [];
          options.onProgress?.(done, total);
        };
        for (const row of rows) {
          batch.push(row);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
      }
    });
    const counts: TableCount[] = [];
    for (const [i, t] of TABLES.entries()) {
      const row = await db.get<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.target}`);
      counts.push({ table: t.target, source: sourceCounts[i]!, target: row!.n });
    }
    return counts;
  } finally {
    await db?.close();
    source.close();
  }
}

function countSource(db: UsersDatabase, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

async function countTarget(c: pg.PoolClient, table: string): Promise<number> {
  return (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}
