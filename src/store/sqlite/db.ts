// Opens the SQLite database: WAL for concurrent readers, synchronous=FULL so a commit that returned
// is on disk, a busy timeout for other processes (CLI import while the server runs), and the SQL
// functions the search compiler uses.
import Database from 'better-sqlite3';
import { MIGRATE_TO_2, MIGRATE_TO_3, MIGRATE_TO_4, MIGRATE_TO_5, SCHEMA, SCHEMA_VERSION } from './schema.js';
import { reparseEmails, type ReadBlobSync } from './reparse.js';
import { unicodeCasemap } from '../../mime/casemap.js';
import { enterWalMode } from '../../core/sqlite-wal.js';

export type Db = Database.Database;

/** @param readBlob reads a blob for migrations that recompute from the stored bytes (version 4). */
export function openDatabase(file: string, readBlob: ReadBlobSync): Db {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  try {
    enterWalMode(db);
  } catch (err) {
    db.close();
    throw err instanceof Error ? new Error(`${file}: cannot enter WAL mode: ${err.message}`, { cause: err }) : err;
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -32000');
  try {
    // One immediate transaction for the whole set-up: two processes opening a new or older store
    // at once (the server and a CLI import, or server.processes workers) would otherwise both find
    // no version row, or both migrate, and one would fail on the other's writes.
    db.transaction(() => prepareSchema(db, file, readBlob)).immediate();
  } catch (err) {
    db.close();
    throw err;
  }
  registerFunctions(db);
  // Keeps planner statistics fresh (cheap; analyses only tables whose size changed a lot, and
  // each from a bounded sample of rows).
  db.pragma('analysis_limit = 1000');
  db.pragma('optimize = 0x10002');
  return db;
}

function prepareSchema(db: Db, file: string, readBlob: ReadBlobSync): void {
  db.exec(SCHEMA);
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  else if (Number(row.value) > SCHEMA_VERSION) {
    throw new Error(`${file}: schema version ${row.value} is newer than this Tessera (${SCHEMA_VERSION})`);
  } else if (Number(row.value) < SCHEMA_VERSION) {
    const from = Number(row.value);
    if (from < 2) db.exec(MIGRATE_TO_2);
    if (from < 3) db.exec(MIGRATE_TO_3);
    if (from < 4) {
      // SCHEMA already has the column when the email table was created by this version.
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('email') as string[];
      if (!columns.includes('sent_day')) db.exec(MIGRATE_TO_4);
      reparseEmails(db, readBlob);
    }
    if (from < 5) {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('outbound') as string[];
      if (!columns.includes('envelope')) db.exec(MIGRATE_TO_5);
    }
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
  }
  ensureSavedAtColumn(db);
}

/**
 * msg.saved_at (SAVEDATE, RFC 8514) came without a schema version bump, so that it does not collide
 * with version numbers other branches take: the column is added wherever it is missing, idempotently.
 */
function ensureSavedAtColumn(db: Db): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('msg') as string[];
  if (!columns.includes('saved_at')) db.exec('ALTER TABLE msg ADD COLUMN saved_at INTEGER');
}

function registerFunctions(db: Db): void {
  // kw_has(keywordsJson, keywordLower): case-insensitive membership in the email's keyword list.
  db.function('kw_has', { deterministic: true }, (json: unknown, kw: unknown) => {
    if (typeof json !== 'string' || typeof kw !== 'string') return 0;
    if (json === '[]') return 0;
    const list = JSON.parse(json) as string[];
    return list.some((k) => k.toLowerCase() === kw) ? 1 : 0;
  });
  // casemap(text): the i;unicode-casemap form (src/mime/casemap.ts) that text criteria compare.
  db.function('casemap', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? unicodeCasemap(text) : text));
  // hdr_has(headersText, nameLower, needleCasemapped): a header line "name: value" whose value
  // contains the needle under i;unicode-casemap (empty needle = the field is present).
  db.function('hdr_has', { deterministic: true }, (text: unknown, name: unknown, needle: unknown) => {
    if (typeof text !== 'string' || typeof name !== 'string' || typeof needle !== 'string') return 0;
    const prefix = name + ':';
    for (const line of text.split('\n')) {
      if (line.length < prefix.length || line.slice(0, prefix.length).toLowerCase() !== prefix) continue;
      if (needle === '' || unicodeCasemap(line.slice(prefix.length)).includes(needle)) return 1;
    }
    return 0;
  });
}
