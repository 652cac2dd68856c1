// Messages between the store (main thread) and the full-text index worker (fts-worker.ts).

export interface FtsWorkerData {
  /** The index database (created if missing). */
  searchFile: string;
  /** The store's database, read for fts_log and email_text. */
  mainFile: string;
}

export type FtsRequest =
  /** New fts_log entries were committed: catch up soon. */
  | { type: 'poke' }
  /** FTS5 MATCH expressions; answered after catching up with everything committed so far. */
  | { type: 'match'; seq: number; queries: string[] }
  | { type: 'close' };

export type FtsReply =
  /** The index durably holds every fts_log entry up to this sequence number. */
  | { type: 'applied'; upTo: number }
  | { type: 'reconciled'; added: number; removed: number }
  /** The index could not be opened and is rebuilt from scratch. */
  | { type: 'rebuilt'; reason: string }
  | { type: 'matched'; seq: number; results: Float64Array[] }
  | { type: 'failed'; seq: number; message: string };
