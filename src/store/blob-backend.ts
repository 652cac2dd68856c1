// What the store engines need from a blob store: content-addressed (sha256 hex ids), deduplicated,
// durable once put/adopt resolves. Implemented by files on disk (./blobs.ts, the SQLite engine) and
// by chunked rows in PostgreSQL (./postgres/blobs.ts); an S3-compatible store would be a third.
import type { ByteRange } from './api/values.js';
import type { ByteSource } from './api/byte-source.js';
import type { SpooledMessage } from './spool/spooled.js';

export interface BlobBackend {
  /** Stores the bytes durably; returns the blob id (sha256 hex). */
  put(bytes: Buffer): Promise<string>;
  /**
   * Takes a finished spool file as a blob (the spool file is gone from the spool afterwards, the
   * SpooledMessage no longer inSpool); returns the blob id.
   */
  adopt(source: SpooledMessage): Promise<string>;
  /**
   * For an append's bytes in memory: their blob id when this backend keeps them in its database,
   * where the caller writes them inside the transaction of the rows that refer to them (one sync
   * then covers both; see sqlite/blob-store.ts); null when they are to be put(). `hash` is their
   * sha256 when known. A backend without such a place has no stageInline.
   */
  stageInline?(bytes: Buffer, hash?: string): string | null;
  /** The bytes (or a range of them), or null when there is no such blob. */
  read(hash: string, range?: ByteRange): Promise<Buffer | null>;
  /** The bytes as a series of chunks (none when there is no such blob), never all in memory at once. */
  stream(hash: string): AsyncIterable<Buffer>;
  /**
   * The bytes (or a range of them) to be read a chunk at a time, with their size known up front (a
   * literal or Content-Length goes out before them); null when there is no such blob.
   */
  open(hash: string, range?: ByteRange): Promise<ByteSource | null>;
  /** Marks a blob as just used, so garbage collection (which spares young blobs) leaves it. */
  touch(hash: string): Promise<void>;
  /**
   * The file holding a blob's bytes, for a backend that keeps blobs as files (null otherwise): ingest
   * parses a stored message from its file by position instead of reading it whole (src/store/message-file.ts);
   * without one it copies `stream` to a scratch file first (src/store/scratch-parse.ts).
   */
  localPath(hash: string): string | null;
}
