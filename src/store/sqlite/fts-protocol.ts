// Messages between the store (main thread) and the full-text index worker (fts-worker.ts).

export interface FtsWorkerData {
  /** The index database (created if missing). */
  searchFile: string;
  /** The store's database, read for fts_log and email_text. */
  mainFile: string;
}

/** The email_text columns the index holds (and a query may name). */
export type FtsColumn = 'subject' | 'from_' | 'to_' | 'cc' | 'bcc' | 'headers' | 'body';

/**
 * Emails whose text in one of `columns` contains `needle`, a substring in i;unicode-casemap form of
 * 3 or more characters (src/mime/casemap.ts).
 */
export interface FtsQuery {
  columns: readonly FtsColumn[];
  needle: string;
}

export type FtsRequest =
  /** New fts_log entries were committed: catch up soon. */
  | { type: 'poke' }
  /** Answered after catching up with everything committed so far. */
  | { type: 'match'; seq: number; queries: FtsQuery[] }
  | { type: 'close' };

export type FtsReply =
  /** The index durably holds every fts_log entry up to this sequence number. */
  | { type: 'applied'; upTo: number }
  | { type: 'reconciled'; added: number; removed: number }
  /** The index could not be opened and is rebuilt from scratch. */
  | { type: 'rebuilt'; reason: string }
  | { type: 'matched'; seq: number; results: Float64Array[] }
  | { type: 'failed'; seq: number; message: string };
