// Messages between the store (main thread) and the full-text index worker (fts-worker.ts).

export interface FtsWorkerData {
  /** The index database (created if missing). */
  searchFile: string;
  /** The store's database, read for email_text. */
  mainFile: string;
}

export type FtsRequest =
  /** Emails committed (add) or destroyed (remove) by one transaction; removals apply first. */
  | { type: 'update'; add: number[]; remove: number[] }
  /** FTS5 MATCH expressions; answered after every earlier update is applied. */
  | { type: 'match'; seq: number; queries: string[] }
  | { type: 'close' };

export type FtsReply =
  | { type: 'ready' }
  | { type: 'reconciled'; added: number; removed: number }
  | { type: 'matched'; seq: number; results: Float64Array[] }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'error'; message: string };
