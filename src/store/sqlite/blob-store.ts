// The SQLite engine's blobs: small messages as rows of store.sqlite (blob_inline), everything else as
// content-addressed files (../blobs.ts). An append of a small message in memory writes its bytes in
// the transaction of its email rows (stageInline, then writeInline inside the commit), so the one
// WAL sync that acknowledges the append covers the bytes too; a file costs a file fsync and a
// directory fsync more, before the commit. Either way the id is the sha256, and a blob is stored once:
// bytes already in a file are not inlined, and readers look at the rows first, then the files.
//
// Only appends inline: uploads, Sieve scripts and the outbound queue put() files, which are durable
// on their own before their rows exist (so an upload of bytes that are a row already is a file too).
// Rows are collected (collectInline) like files: once nothing refers to them and they are older than
// the grace period, inside a write transaction. An append of new bytes needs no row to exist until
// its own transaction writes it; one that refers to a stored blob checks it there.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Statement } from 'better-sqlite3';
import type { ByteRange } from '../api/values.js';
import type { ByteSource } from '../api/byte-source.js';
import { bufferSource } from '../byte-sources.js';
import type { BlobBackend } from '../blob-backend.js';
import { BlobFiles } from '../blobs.js';
import type { SpooledMessage } from '../spool/spooled.js';
import { HELD_LIMIT } from '../spool/incoming.js';
import type { Db } from './db.js';

/**
 * Messages up to this size are kept inline: those the spool holds in memory anyway (HELD_LIMIT).
 * Larger ones would add WAL pages to every checkpoint for a smaller share of the saving.
 */
export const INLINE_LIMIT = HELD_LIMIT;

export class SqliteBlobs implements BlobBackend {
  private readonly selectData: Statement;
  private readonly selectSize: Statement;
  private readonly selectExists: Statement;
  private readonly insert: Statement;
  private readonly sweep: Statement;

  constructor(
    db: Db,
    readonly files: BlobFiles,
  ) {
    this.selectData = db.prepare('SELECT data FROM blob_inline WHERE hash = ?').pluck();
    this.selectSize = db.prepare('SELECT length(data) FROM blob_inline WHERE hash = ?').pluck();
    this.selectExists = db.prepare('SELECT 1 FROM blob_inline WHERE hash = ?').pluck();
    this.insert = db.prepare('INSERT OR IGNORE INTO blob_inline (hash, stored_at, data) VALUES (?, ?, ?)');
    // Every table that names blobs, as the file collection in extras.ts checks them.
    this.sweep = db.prepare(
      `DELETE FROM blob_inline WHERE stored_at < ? AND NOT EXISTS (SELECT 1 FROM email WHERE blob = blob_inline.hash)
         AND NOT EXISTS (SELECT 1 FROM upload WHERE blob = blob_inline.hash)
         AND NOT EXISTS (SELECT 1 FROM outbound WHERE blob = blob_inline.hash AND status = 'queued')
         AND NOT EXISTS (SELECT 1 FROM sieve_script WHERE blob = blob_inline.hash)`,
    );
  }

  stageInline(bytes: Buffer, hash?: string): string | null {
    if (bytes.length > INLINE_LIMIT) return null;
    const id = hash ?? BlobFiles.hash(bytes);
    // Bytes that are a file already stay there (put() refreshes its time against collection).
    return this.files.hasFileSync(id, bytes.length) ? null : id;
  }

  /** Stores staged bytes; runs inside the write transaction of the rows that refer to them. */
  writeInline(hash: string, bytes: Buffer): void {
    this.insert.run(hash, Date.now(), bytes);
  }

  put(bytes: Buffer): Promise<string> {
    return this.files.put(bytes);
  }

  adopt(source: SpooledMessage): Promise<string> {
    return this.files.adopt(source);
  }

  async read(hash: string, range?: ByteRange): Promise<Buffer | null> {
    const data = this.inline(hash);
    if (!data) return this.files.read(hash, range);
    if (!range) return data;
    const start = Math.max(0, Math.min(range.start, data.length));
    return data.subarray(start, Math.max(start, Math.min(range.end, data.length)));
  }

  async open(hash: string, range?: ByteRange): Promise<ByteSource | null> {
    const data = this.inline(hash);
    return data ? bufferSource(data, range) : this.files.open(hash, range);
  }

  async sizeOf(hash: string): Promise<number | null> {
    if (!BlobFiles.isBlobId(hash)) return null;
    const size = this.selectSize.get(hash) as number | undefined;
    return size ?? this.files.sizeOf(hash);
  }

  /**
   * The bytes as a stream (the migration to PostgreSQL copies them so, with its chunk size). Unlike
   * BlobFiles.stream, a missing file is an error here: the migration must report it.
   */
  stream(hash: string, highWaterMark = 256 * 1024): Readable {
    const data = this.inline(hash);
    return data ? Readable.from([data]) : createReadStream(this.files.pathOf(hash), { highWaterMark });
  }

  /**
   * A file's time is refreshed; an inline row's is not, since that would be a write of its own: an
   * append that refers to a stored blob checks in its commit that the blob is still there (existsSync).
   */
  async touch(hash: string): Promise<void> {
    if (!this.hasInline(hash)) await this.files.touch(hash);
  }

  /** Null for an inline blob: ingest then reads it back whole, which a small blob allows. */
  localPath(hash: string): string | null {
    return this.hasInline(hash) ? null : this.files.localPath(hash);
  }

  /** Whether the blob is stored, inline or as a file (checked inside a commit that refers to it). */
  existsSync(hash: string): boolean {
    return this.hasInline(hash) || this.files.hasFileSync(hash);
  }

  /**
   * Removes the inline blobs stored before `before` (ms) that no row refers to; call inside a write
   * transaction. Returns how many.
   */
  collectInline(before: number): number {
    return this.sweep.run(before).changes;
  }

  private hasInline(hash: string): boolean {
    return BlobFiles.isBlobId(hash) && this.selectExists.get(hash) !== undefined;
  }

  private inline(hash: string): Buffer | undefined {
    return BlobFiles.isBlobId(hash) ? (this.selectData.get(hash) as Buffer | undefined) : undefined;
  }
}
