// Worker thread that owns the full-text index (search.sqlite): a contentless FTS5 table of the
// trigrams of the emails' folded text, which finds candidates for a substring query, and that
// folded text itself (fts_doc), against which the candidates are confirmed (fts-trigram-query.ts).
// Running here, trigram indexing (a third of a durable append's main-thread time when it ran
// there) and full-text queries use another core instead of stopping the event loop.
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
import type { FtsColumn, FtsQuery, FtsReply, FtsRequest, FtsWorkerData } from './fts-protocol.js';
import { candidateExpr } from './fts-trigram-query.js';
import { trigramTerms } from './fts-trigram-terms.js';
import { unicodeCasemap } from '../../mime/casemap.js';
import { enterWalMode } from '../../core/sqlite-wal.js';

const port = parentPort;
if (!port) throw new Error('fts-worker must run as a worker thread');
const { searchFile, mainFile } = workerData as FtsWorkerData;

/**
 * How the index is built; another value (or none) empties it and reconcile() refills it from the
 * text. 4: the text folded to i;unicode-casemap (src/mime/casemap.ts, IMAP's default comparator,
 * I18NLEVEL=1, RFC 5255 §4; queries fold their needle the same way), its distinct trigrams as
 * terms (fts-trigram-terms.ts) in email_trigram, a table with detail=column and the ascii
 * tokenizer, and the same folded text in fts_doc, so that confirming a candidate is a plain
 * substring test (folding every candidate's text at query time cost seconds for a common word in a
 * large mailbox). Format 3 gave email_trigram the whole folded text through FTS5's trigram
 * tokenizer: the same entries, for several times the work on long texts. Format 2 had no text in
 * fts_doc; format 1 was email_fts, the folded text with detail=full (a position per trigram
 * occurrence), marked by the key 'folding' in fts_state.
 */
const FORMAT = 4;

const COLUMNS: readonly FtsColumn[] = ['subject', 'from_', 'to_', 'cc', 'bcc', 'headers', 'body'];

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
  db.pragma('busy_timeout = 10000');
  enterWalMode(db);
  // The watermark lets the store trim its log, so it must not roll back after being reported.
  db.pragma('synchronous = FULL');
  // applied: the last fts_log sequence number applied; format: FORMAT of the index.
  db.exec('CREATE TABLE IF NOT EXISTS fts_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)');
  // Checked and changed in one write transaction, so that of two workers starting together (server
  // and CLI import) only the first empties the index.
  db.transaction(() => {
    const format = db.prepare("SELECT value FROM fts_state WHERE key = 'format'").pluck().get() as number | undefined;
    // A 'folding' key is written by a format-1 worker only: this index was (also) kept by an older
    // Tessera, after a downgrade, so email_trigram may lack what that one indexed.
    const olderWriter = db.prepare("SELECT 1 FROM fts_state WHERE key = 'folding'").pluck().get() !== undefined;
    if (format !== FORMAT || olderWriter) {
      // Emptied here, refilled by reconcile(). An older Tessera started on this index after a
      // downgrade finds another format in the same way, empties fts_doc and rebuilds its own table.
      db.exec("DROP TABLE IF EXISTS email_fts; DROP TABLE IF EXISTS email_trigram; DROP TABLE IF EXISTS fts_doc; DELETE FROM fts_state WHERE key = 'folding';");
      db.prepare("INSERT INTO fts_state (key, value) VALUES ('format', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(FORMAT);
    }
    // fts_doc: the emails the index holds (a contentless table cannot say so cheaply) and their
    // folded text. The text columns may be NULL because an older worker (formats 1 and 2), after
    // a downgrade, inserts the email id alone. The body, usually the longest, comes last: a row's
    // columns are read in order, and a query on the headers stops before the body's pages.
    db.exec(`
CREATE TABLE IF NOT EXISTS fts_doc (email_id INTEGER PRIMARY KEY, ${COLUMNS.map((c) => `${c} TEXT`).join(', ')});
CREATE VIRTUAL TABLE IF NOT EXISTS email_trigram USING fts5(
  ${COLUMNS.join(', ')},
  content='', contentless_delete=1, tokenize='ascii', detail=column
);
`);
  }).immediate();
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
const insertFts = index.prepare('INSERT INTO email_trigram (rowid, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const deleteFts = index.prepare('DELETE FROM email_trigram WHERE rowid = ?');
const insertDoc = index.prepare(`INSERT INTO fts_doc (email_id, ${COLUMNS.join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})`);
const deleteDoc = index.prepare('DELETE FROM fts_doc WHERE email_id = ?');
const allDocs = index.prepare('SELECT email_id FROM fts_doc').pluck();
const getApplied = index.prepare("SELECT coalesce((SELECT value FROM fts_state WHERE key = 'applied'), 0)").pluck();
const setApplied = index.prepare("INSERT INTO fts_state (key, value) VALUES ('applied', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
const candidates = index.prepare('SELECT rowid FROM email_trigram WHERE email_trigram MATCH ?').pluck();
/** Per column list: the candidates whose folded text in one of the columns holds the needle. */
const confirmed = new Map<string, Database.Statement>();

function confirmStatement(columns: readonly FtsColumn[]): Database.Statement {
  const key = columns.join(',');
  let statement = confirmed.get(key);
  if (!statement) {
    const tests = columns.map((c) => `instr(${c}, @needle) > 0`).join(' OR ');
    statement = index.prepare(`SELECT email_id FROM fts_doc WHERE email_id IN (SELECT rowid FROM email_trigram WHERE email_trigram MATCH @expr) AND (${tests})`).pluck();
    confirmed.set(key, statement);
  }
  return statement;
}

/**
 * The emails whose folded text holds the query's needle: the index's candidates, confirmed on that
 * text. A candidate costs a read of its text in the named columns (about 1 ms per MB), so a needle
 * whose trigrams are all common ("the of") costs about a scan of the text; a needle with a rare
 * trigram costs little, as with an index of positions.
 */
function match(query: FtsQuery): Float64Array {
  if (!query.columns.length || !query.columns.every((c) => COLUMNS.includes(c))) throw new Error(`unknown columns ${query.columns.join(', ')}`);
  const expr = candidateExpr(query.columns, query.needle);
  // One trigram is one index term, held by exactly the emails that contain it.
  if ([...query.needle].length === 3) return Float64Array.from(candidates.all(expr) as number[]);
  return Float64Array.from(confirmStatement(query.columns).all({ needle: query.needle, expr }) as number[]);
}

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
  const folded = row.map(unicodeCasemap);
  insertFts.run(id, ...folded.map(trigramTerms));
  insertDoc.run(id, ...folded);
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
        const results = message.queries.map(match);
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
