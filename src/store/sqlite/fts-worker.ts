// Worker thread that owns the full-text index (search.sqlite). The main thread sends the ids of
// emails added or destroyed after each commit and asks for MATCH results; this thread reads the
// emails' text from the main database (read-only connection) and keeps a contentless trigram FTS5
// index. Running here, trigram indexing (a third of a durable append's main-thread time) and
// full-text queries use the second core instead of stopping the event loop.
//
// The index is derived data: it is written with synchronous=NORMAL, and at start the worker
// reconciles it with email_text (adds what is missing, drops what is gone), so a crash or power
// loss costs at most some reindexing, never a wrong answer after start-up.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FtsReply, FtsRequest, FtsWorkerData } from './fts-protocol.js';

const port = parentPort;
if (!port) throw new Error('fts-worker must run as a worker thread');
const { searchFile, mainFile } = workerData as FtsWorkerData;

const index = new Database(searchFile);
index.pragma('journal_mode = WAL');
index.pragma('synchronous = NORMAL');
index.exec(`
CREATE VIRTUAL TABLE IF NOT EXISTS email_fts USING fts5(
  subject, from_, to_, cc, bcc, headers, body,
  content='', contentless_delete=1, tokenize='trigram'
);
-- Which emails the index holds (a contentless table cannot say so cheaply).
CREATE TABLE IF NOT EXISTS fts_doc (email_id INTEGER PRIMARY KEY);
`);
const main = new Database(mainFile, { readonly: true, fileMustExist: true });

const readText = main.prepare('SELECT subject, from_, to_, cc, bcc, headers, body FROM email_text WHERE email_id = ?').raw();
const hasDoc = index.prepare('SELECT 1 FROM fts_doc WHERE email_id = ?').pluck();
const insertFts = index.prepare('INSERT INTO email_fts (rowid, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const deleteFts = index.prepare('DELETE FROM email_fts WHERE rowid = ?');
const insertDoc = index.prepare('INSERT INTO fts_doc (email_id) VALUES (?)');
const deleteDoc = index.prepare('DELETE FROM fts_doc WHERE email_id = ?');
const match = index.prepare('SELECT rowid FROM email_fts WHERE email_fts MATCH ?').pluck();

function remove(id: number): void {
  if (!hasDoc.get(id)) return;
  deleteFts.run(id);
  deleteDoc.run(id);
}

function add(id: number): void {
  remove(id);
  // The email may already be gone again (a later transaction's removal follows in the queue).
  const row = readText.get(id) as string[] | undefined;
  if (!row) return;
  insertFts.run(id, ...row);
  insertDoc.run(id);
}

/** Operations received but not yet applied, in commit order. */
let pending: Array<{ op: 'add' | 'remove'; ids: number[] }> = [];
let flushScheduled = false;

const applyAll = index.transaction((ops: Array<{ op: 'add' | 'remove'; ids: number[] }>) => {
  for (const { op, ids } of ops) for (const id of ids) (op === 'add' ? add : remove)(id);
});

/** Applies everything received so far in one transaction (one FTS segment for the lot). */
function flush(): void {
  flushScheduled = false;
  if (!pending.length) return;
  const ops = pending;
  pending = [];
  applyAll(ops);
}

function reconcile(): void {
  const wanted = new Set(main.prepare('SELECT email_id FROM email_text').pluck().all() as number[]);
  const held = new Set(index.prepare('SELECT email_id FROM fts_doc').pluck().all() as number[]);
  const stale = [...held].filter((id) => !wanted.has(id));
  const missing = [...wanted].filter((id) => !held.has(id));
  if (stale.length) applyAll([{ op: 'remove', ids: stale }]);
  // Big rebuilds (first start after an upgrade) in chunks, each its own segment.
  for (let i = 0; i < missing.length; i += 2000) applyAll([{ op: 'add', ids: missing.slice(i, i + 2000) }]);
  if (missing.length || stale.length) reply({ type: 'reconciled', added: missing.length, removed: stale.length });
}

function reply(message: FtsReply, transfer?: ArrayBuffer[]): void {
  port!.postMessage(message, transfer);
}

reconcile();
reply({ type: 'ready' });

port.on('message', (message: FtsRequest) => {
  try {
    switch (message.type) {
      case 'update':
        if (message.remove.length) pending.push({ op: 'remove', ids: message.remove });
        if (message.add.length) pending.push({ op: 'add', ids: message.add });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
        return;
      case 'match': {
        flush();
        const results = message.queries.map((q) => Float64Array.from(match.all(q) as number[]));
        reply({ type: 'matched', seq: message.seq, results }, results.map((r) => r.buffer as ArrayBuffer));
        return;
      }
      case 'close':
        flush();
        index.pragma('optimize');
        index.close();
        main.close();
        port.close();
        return;
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (message.type === 'match') reply({ type: 'failed', seq: message.seq, message: text });
    else reply({ type: 'error', message: text });
  }
});
