// The tables and columns of the two mail store schemas as the databases themselves report them (not
// as this Tessera's schema files say), for planTables (tables.ts).
import type { Db } from '../sqlite/db.js';
import type { Conn } from '../postgres/db.js';
import { MIGRATIONS } from '../postgres/schema.js';
import type { PostgresTableInfo, SqliteTableInfo } from './tables.js';

/**
 * The tables the mail store's migrations create. The users repository and other parts of a cluster
 * keep their own tables in the same schema; they are not the mail store's to move or to account for.
 */
const MAIL_STORE_TABLES = new Set(['schema_migration', ...MIGRATIONS.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((x) => x[1]!))]);

export function sqliteTableInfo(db: Db): SqliteTableInfo {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  const tables = new Map<string, string[]>();
  const keys = new Map<string, string[]>();
  for (const name of names) {
    const columns = db.prepare('SELECT name, pk FROM pragma_table_info(?) ORDER BY cid').all(name) as Array<{ name: string; pk: number }>;
    tables.set(name, columns.map((c) => c.name));
    keys.set(name, columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name));
  }
  return { tables, keys };
}

/** The mail store's tables in the schema the connection's search path puts first (the store's). */
export async function postgresTableInfo(q: Conn): Promise<PostgresTableInfo> {
  const rows = await q.all<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  const byteaColumns = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!MAIL_STORE_TABLES.has(r.table_name)) continue;
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push(r.column_name);
    if (r.data_type === 'bytea') {
      let set = byteaColumns.get(r.table_name);
      if (!set) byteaColumns.set(r.table_name, (set = new Set()));
      set.add(r.column_name);
    }
  }
  return { tables, byteaColumns };
}
