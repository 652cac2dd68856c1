// The blob phase of the mail store migration: every blob the SQLite store's rows refer to (emails,
// Sieve scripts, the outbound queue, uploads) streamed from its file (or its inline row, see
// sqlite/blob-store.ts) into PostgreSQL's chunk rows,
// CHUNK bytes at a time and checked against its sha256 name. Blobs are content-addressed, so a blob
// already on PostgreSQL (from another table, or an interrupted earlier run) is skipped unread: this
// phase resumes where it stopped. Each blob commits on its own before the rows (one transaction,
// copy.ts) that refer to it.
import type { SqliteBlobs } from '../sqlite/blob-store.js';
import type { Db } from '../sqlite/db.js';
import { CHUNK, type PgBlobs } from '../postgres/blobs.js';

/** Tables with a blob column, each with an index on it (distinct values in order are cheap). */
const BLOB_COLUMNS: ReadonlyArray<{ table: string; column: string }> = [
  { table: 'email', column: 'blob' },
  { table: 'sieve_script', column: 'blob' },
  { table: 'outbound', column: 'blob' },
  { table: 'upload', column: 'blob' },
];

const PAGE = 500;
/** Blobs in flight at once (the pool of copy.ts has a connection for each, and one more). */
export const BLOB_WORKERS = 4;

export class MissingBlobsError extends Error {
  override readonly name = 'MissingBlobsError';
}

/** Distinct blob references, summed over the tables (a blob two tables share counts twice). */
export function countBlobReferences(db: Db): number {
  return BLOB_COLUMNS.reduce((n, b) => n + (db.prepare(`SELECT count(DISTINCT ${b.column}) FROM ${b.table}`).pluck().get() as number), 0);
}

/** Copies the blobs; `onBlob` after each one. Throws MissingBlobsError when files are missing. */
export async function copyBlobs(db: Db, blobs: SqliteBlobs, target: PgBlobs, onBlob: () => void): Promise<{ copied: number; bytes: number }> {
  const missing: string[] = [];
  let copied = 0;
  let bytes = 0;
  for (const { table, column } of BLOB_COLUMNS) {
    const first = db.prepare(`SELECT DISTINCT ${column} FROM ${table} ORDER BY ${column} LIMIT ?`).pluck();
    const next = db.prepare(`SELECT DISTINCT ${column} FROM ${table} WHERE ${column} > ? ORDER BY ${column} LIMIT ?`).pluck();
    let page = first.all(PAGE) as string[];
    while (page.length > 0) {
      const hashes = page;
      let at = 0;
      // Each blob costs a few round trips of its own: WORKERS of them at once keep the link busy.
      const worker = async (): Promise<void> => {
        while (at < hashes.length) {
          const hash = hashes[at++]!;
          // sizeOf refuses what is not a blob id, so a damaged row never names a path outside the store.
          const size = await blobs.sizeOf(hash);
          if (size === null) missing.push(hash);
          else if (await target.copyIn(hash, size, () => blobs.stream(hash, CHUNK))) {
            copied++;
            bytes += size;
          }
          onBlob();
        }
      };
      // Settled, not Promise.all: no worker may still be writing when an error ends the run.
      const failed = (await Promise.allSettled(Array.from({ length: BLOB_WORKERS }, worker))).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      page = next.all(hashes[hashes.length - 1], PAGE) as string[];
    }
  }
  if (missing.length > 0) {
    throw new MissingBlobsError(
      `${missing.length} blob(s) the store refers to are missing from ${blobs.files.root} (e.g. ${missing.slice(0, 3).join(', ')}); nothing but blobs was copied`,
    );
  }
  return { copied, bytes };
}
