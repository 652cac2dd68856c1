// Which tables of the SQLite mail store (../sqlite/schema.ts) `tessera migrate --to postgres` copies
// into the PostgreSQL one (../postgres/schema.ts), in what order, and which it leaves out and why.
// Every table of either schema must be named here: planTables refuses a database with a table that is
// not, so a table added to a schema later fails the migration (and its test) instead of being lost.

/** Copied row by row, in this order (a referenced table before the tables that refer to it). */
export const COPIED_TABLES: readonly string[] = [
  'account',
  'mailbox',
  'subscription',
  'thread',
  'email',
  'email_parsed',
  'email_ref',
  'msg',
  'expunged',
  'tombstone',
  'email_text',
  'upload',
  'quota_limit_state',
  'quota_scope',
  'setting',
  'outbound',
  'revoked',
  'logout_jti',
  'push_subscription',
  'sieve_script',
  'sieve_account',
  'mailbox_acl',
  'delegation',
  'share_notification',
  'metadata',
];

/** SQLite tables not copied as rows, and why. */
export const SQLITE_ONLY_TABLES: Readonly<Record<string, string>> = {
  meta: 'its counters become PostgreSQL sequences (uidvalidity_seq, share_notification_seq); schema_version is the engine\'s own',
  id_seq: 'the last id handed out per table becomes the PostgreSQL sequence of that table',
  email_keyword: 'kept by SQLite triggers from email.keywords; PostgreSQL reads email.keywords (kw_has)',
  mailbox_count: 'kept by SQLite triggers; PostgreSQL counts on read',
  mailbox_thread: 'kept by SQLite triggers; PostgreSQL counts on read',
  thread_unread: 'kept by SQLite triggers; PostgreSQL counts on read',
  fts_log: 'the work queue of the SQLite full-text worker; PostgreSQL indexes email_text as rows are inserted',
  blob_inline: 'small blobs kept in the database; copied with the blob files into blob and blob_chunk (blob-copy.ts)',
};

/** PostgreSQL tables with no SQLite table of the same name, and how they are filled. */
export const POSTGRES_ONLY_TABLES: Readonly<Record<string, string>> = {
  blob: 'filled from the blob files (and blob_inline rows) of the data directory',
  blob_chunk: 'filled from the blob files (and blob_inline rows) of the data directory',
  schema_migration: 'the engine\'s own schema version',
};

/** Columns named differently on PostgreSQL ("user" is reserved there). */
export const RENAMED_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  push_subscription: { user: 'user_name' },
};

export class UnplannedTableError extends Error {
  override readonly name = 'UnplannedTableError';
}

/** One table's copy: SQLite column → PostgreSQL column, and the SQLite key columns to page by. */
export interface TablePlan {
  table: string;
  sourceColumns: string[];
  targetColumns: string[];
  /** PostgreSQL bytea columns (SQLite may hand a BLOB column's value back as text). */
  byteaColumns: Set<string>;
  key: string[];
}

export interface SchemaColumns {
  /** Table → its columns (in declaration order). */
  tables: Map<string, string[]>;
}

export interface SqliteTableInfo extends SchemaColumns {
  /** Table → its primary key columns, in key order (empty: page by rowid). */
  keys: Map<string, string[]>;
}

export interface PostgresTableInfo extends SchemaColumns {
  byteaColumns: Map<string, Set<string>>;
}

/**
 * Matches the two schemas table by table and column by column. Throws when a table of either side is
 * neither copied nor explained above, or when a copied table's columns do not correspond one to one.
 */
export function planTables(sqlite: SqliteTableInfo, postgres: PostgresTableInfo): TablePlan[] {
  const problems: string[] = [];
  for (const t of sqlite.tables.keys()) {
    if (!COPIED_TABLES.includes(t) && !(t in SQLITE_ONLY_TABLES)) problems.push(`SQLite table ${t} is neither copied nor excluded`);
  }
  for (const t of postgres.tables.keys()) {
    if (!COPIED_TABLES.includes(t) && !(t in POSTGRES_ONLY_TABLES)) problems.push(`PostgreSQL table ${t} is neither filled nor excluded`);
  }
  const plans: TablePlan[] = [];
  for (const table of COPIED_TABLES) {
    const source = sqlite.tables.get(table);
    const target = postgres.tables.get(table);
    if (!source || !target) {
      problems.push(`table ${table} is missing on ${source ? 'PostgreSQL' : 'SQLite'}`);
      continue;
    }
    const renamed = RENAMED_COLUMNS[table] ?? {};
    const targetColumns = source.map((c) => renamed[c] ?? c);
    const missing = targetColumns.filter((c) => !target.includes(c));
    const extra = target.filter((c) => !targetColumns.includes(c));
    if (missing.length) problems.push(`${table}: PostgreSQL has no column ${missing.join(', ')}`);
    if (extra.length) problems.push(`${table}: SQLite has no column ${extra.join(', ')}`);
    plans.push({
      table,
      sourceColumns: source,
      targetColumns,
      byteaColumns: postgres.byteaColumns.get(table) ?? new Set(),
      key: sqlite.keys.get(table) ?? [],
    });
  }
  if (problems.length) throw new UnplannedTableError(`the two mail store schemas do not match what the migration knows: ${problems.join('; ')}`);
  return plans;
}
