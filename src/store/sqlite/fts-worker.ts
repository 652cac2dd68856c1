// Worker thread that owns the full-text index (search.sqlite): a contentless trigram FTS5 table
// over the emails' decoded text. Running here, trigram indexing (a third of a durable append's
// main-thread time) and full-text queries use another core instead of stopping the event loop.
//
// What to index comes from the store's fts_log (filled by triggers on email_text in the writing
// transaction), read through a read-only connection: the worker applies the log after its
// watermark and advances the watermark in the same index transaction, so every entry is applied
// once even when two processes' workers (server and CLI import) share the index. Before a match it
// catches up, so a search sees every email committed before it was asked. At start it reconciles
// the whole index with email_text (adds what is missing, drops what is gone), which also builds
// the index of a database that had none.
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { FtsReply, FtsRequest, FtsWorkerData } from './fts-protocol.js';
import { unicodeCasemap } from '../../mime/casemap.js';

const port = parentPort;
if (!port) throw new Error('fts-worker must run as a worker thread');
const { searchFile, mainFile } = workerData as FtsWorkerData;

/**
 * How the indexed text is folded: 1 = i;unicode-casemap (src/mime/casemap.ts), so that the index
 * answers IMAP's default comparator (I18NLEVEL=1, RFC 5255 §4); queries fold their needle the same way.
 */
const FOLDING = 1;

/** Log entries applied per index transaction. */
const CHUNK = 2000;

/**
 * Opens the index. A damaged one (not a database, corrupt) is moved aside and rebuilt from the
 * store's text: it holds nothing that is not derived from there.
 */
function openIndex(): Database.Database {
  try {
    return prepareIndex(new Database(searchFile));
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('SQLITE_CORRUPT') && code !== 'SQLITE_NOTADB') throw error;
    const aside = `${searchFile}.damaged-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(searchFile + suffix)) fs.renameSync(searchFile + suffix, aside + suffix);
    reply({ type: 'rebuilt', reason: `${code}; the damaged index was moved to ${aside}` });
    return prepareIndex(new Database(searchFile));
  }
}

function prepareIndex(db: Database.Database): Database.Database {
  db.pragma('journal_mode = WAL');
  // The watermark lets the store trim its log, so it must not roll back after being reported.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.exec(`
CREATE VIRTUAL TABLE IF NOT EXISTS email_fts USING fts5(
  subject, from_, to_, cc, bcc, headers, body,
  content='', contentless_delete=1, tokenize='trigram'
);
-- Which emails the index holds (a contentless table cannot say so cheaply).
CREATE TABLE IF NOT EXISTS fts_doc (email_id INTEGER PRIMARY KEY);
-- applied: the last fts_log sequence number applied; folding: FOLDING of the indexed text.
CREATE TABLE IF NOT EXISTS fts_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`);
  const folding = db.prepare("SELECT value FROM fts_state WHERE key = 'folding'").pluck().get() as number | undefined;
  if (folding !== FOLDING) {
    // Indexed before the text was folded (or folded otherwise): emptied here, refilled by reconcile().
    db.transaction(() => {
      db.exec("INSERT INTO email_fts (email_fts) VALUES ('delete-all'); DELETE FROM fts_doc;");
      db.prepare("INSERT INTO fts_state (key, value) VALUES ('folding', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(FOLDING);
    }).immediate();
  }
  return db;
}

const index = openIndex();
const main = new Database(mainFile, { readonly: true, fileMustExist: true });
main.pragma('busy_timeout = 10000');

const readText = main.prepare('SELECT subject, from_, to_, cc, bcc, headers, body FROM email_text WHERE email_id = ?').raw();
const readLog = main.prepare('SELECT seq, email_id, added FROM fts_log WHERE seq > ? ORDER BY seq LIMIT ?').raw();
const lastSeq = main.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'fts_log'), 0)").pluck();
const allText = main.prepare('SELECT email_id FROM email_text').pluck();
const hasDoc = index.prepare('SELECT 1 FROM fts_doc WHERE email_id = ?').pluck();
const insertFts = index.prepare('INSERT INTO email_fts (rowid, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const deleteFts = index.prepare('DELETE FROM email_fts WHERE rowid = ?');
const insertDoc = index.prepare('INSERT INTO fts_doc (email_id) VALUES (?)');
const deleteDoc = index.prepare('DELETE FROM fts_doc WHERE email_id = ?');
const allDocs = index.prepare('SELECT email_id FROM fts_doc').pluck();
const getApplied = index.prepare("SELECT coalesce((SELECT value FROM fts_state WHERE key = 'applied'), 0)").pluck();
const setApplied = index.prepare("INSERT INTO fts_state (key, value) VALUES ('applied', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
const match = index.prepare('SELECT rowid FROM email_fts WHERE email_fts MATCH ?').pluck();

function remove(id: number): void {
  if (!hasDoc.get(id)) return;
  deleteFts.run(id);
  deleteDoc.run(id);
}

/** (Re)indexes the email's current text; nothing if it is gone again (its removal is logged later). */
function add(id: number): void {
  remove(id);
  const row = readText.get(id) as string[] | undefined;
  if (!row) return;
  insertFts.run(id, ...row.map(unicodeCasemap));
  insertDoc.run(id);
}

/** Applies one chunk of the log after the watermark; returns how many entries it applied. */
const applyChunk = index.transaction((): number => {
  const applied = getApplied.get() as number;
  const rows = readLog.all(applied, CHUNK) as Array<[number, number, number]>;
  for (const [, id, added] of rows) (added ? add : remove)(id);
  if (rows.length) setApplied.run(rows[rows.length - 1]![0]);
  return rows.length;
});

let reportedUpTo = -1;

/** Applies the whole log; tells the store how far it may trim. */
function catchUp(): void {
  while (applyChunk.immediate() === CHUNK);
  const applied = getApplied.get() as number;
  if (applied !== reportedUpTo) {
    reportedUpTo = applied;
    reply({ type: 'applied', upTo: applied });
  }
}

/** Makes the index hold exactly the emails of email_text, then moves the watermark to the log's end. */
function reconcile(): void {
  // One read snapshot of the store: the log position and the emails that exist at that point.
  const snapshot = main.transaction(() => ({ seq: lastSeq.get() as number, ids: allText.all() as number[] }));
  const { seq, ids } = snapshot();
  const wanted = new Set(ids);
  const held = new Set(allDocs.all() as number[]);
  const stale = [...held].filter((id) => !wanted.has(id));
  const missing = [...wanted].filter((id) => !held.has(id));
  index.transaction(() => stale.forEach(remove)).immediate();
  // A big rebuild (first start after an upgrade) in chunks, each its own transaction and segment.
  for (let i = 0; i < missing.length; i += CHUNK) index.transaction(() => missing.slice(i, i + CHUNK).forEach(add)).immediate();
  // Log entries up to `seq` are reflected in the snapshot; later ones are applied (again) by
  // catchUp, which is harmless: applying an entry twice gives the same index.
  index.transaction(() => {
    if ((getApplied.get() as number) < seq) setApplied.run(seq);
  }).immediate();
  if (missing.length || stale.length) reply({ type: 'reconciled', added: missing.length, removed: stale.length });
}

function reply(message: FtsReply, transfer?: ArrayBuffer[]): void {
  port!.postMessage(message, transfer);
}

reconcile();
catchUp();

/**
 * A poke's catch-up waits this long, so that the emails of several commits share one index
 * transaction: each transaction writes (and syncs) a new FTS5 segment that later merges copy
 * again, and indexing one email per transaction took a third more CPU per email than eight at a
 * time (trigram index of 2-250 KB texts). Searches catch up first, so they never see the delay.
 */
const CATCH_UP_DELAY_MS = 25;

let catchUpTimer: NodeJS.Timeout | null = null;

port.on('message', (message: FtsRequest) => {
  switch (message.type) {
    case 'poke':
      // The pokes of CATCH_UP_DELAY_MS cost one catch-up.
      catchUpTimer ??= setTimeout(() => {
        catchUpTimer = null;
        catchUp();
      }, CATCH_UP_DELAY_MS);
      return;
    case 'match':
      try {
        catchUp();
        const results = message.queries.map((q) => Float64Array.from(match.all(q) as number[]));
        reply({ type: 'matched', seq: message.seq, results }, results.map((r) => r.buffer as ArrayBuffer));
      } catch (error) {
        reply({ type: 'failed', seq: message.seq, message: error instanceof Error ? error.message : String(error) });
      }
      return;
    case 'close':
      if (catchUpTimer) clearTimeout(catchUpTimer);
      catchUpTimer = null;
      catchUp();
      index.pragma('optimize');
      index.close();
      main.close();
      port.close();
      return;
  }
});
