// Blobs as rows: `blob` (one per content, named by its sha256) and `blob_chunk` (its bytes, CHUNK
// bytes per row). Writes stream in chunk by chunk and reads fetch one chunk per statement, so no
// statement, and no buffer this module makes, holds a whole large message. A blob and its chunks
// commit together before any email refers to it; identical content is stored once (the primary key
// makes a concurrent writer of the same content wait, then find it there).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type pg from 'pg';
import type { ByteRange } from '../api/values.js';
import type { BlobBackend } from '../blob-backend.js';
import { BytesGoneError, type ByteSource } from '../api/byte-source.js';
import { clipRange, exactly } from '../byte-sources.js';
import type { SpooledMessage } from '../spool/spooled.js';
import { Conn, transaction } from './db.js';

/** Bytes per chunk row. */
export const CHUNK = 256 * 1024;

const HASH_RE = /^[0-9a-f]{64}$/;

export class PgBlobs implements BlobBackend {
  private readonly q: Conn;

  constructor(private readonly pool: pg.Pool) {
    this.q = new Conn(pool);
  }

  static isBlobId(id: string): boolean {
    return HASH_RE.test(id);
  }

  /** Blobs live in rows, not files. */
  localPath(): null {
    return null;
  }

  async put(bytes: Buffer): Promise<string> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    await this.write(hash, bytes.length, async function* () {
      for (let off = 0; off < bytes.length; off += CHUNK) yield bytes.subarray(off, off + CHUNK);
    });
    return hash;
  }

  /**
   * Streams a finished spool file into chunk rows: the message lives in the database from then on
   * (ingest reads it back from there for a second recipient). The spool file stays readable until its
   * owner discards it (SpooledMessage.copiedOut), since no file of the blob exists to read it from.
   */
  async adopt(source: SpooledMessage): Promise<string> {
    if (source.heldBytes) throw new Error('a message held in memory is stored with put (see storeBlob in ingest.ts)');
    const hash = source.sha256;
    if (!source.inSpool) {
      if ((await this.sizeOf(hash)) === null) throw new Error(`blob ${hash} taken from a spool file is missing`);
      await this.touch(hash);
      return hash;
    }
    await this.write(hash, source.size, () => rechunk(createReadStream(source.path, { highWaterMark: CHUNK })));
    source.copiedOut();
    return hash;
  }

  /**
   * Stores bytes read from elsewhere (another engine's blob store) under `hash`, checking while they
   * stream that they are that content: a damaged source is refused, never stored under a wrong name.
   * Returns false when the blob was there already (nothing is read then).
   */
  async copyIn(hash: string, size: number, input: () => AsyncIterable<Buffer | string>): Promise<boolean> {
    if (!HASH_RE.test(hash)) throw new Error(`not a blob id: ${JSON.stringify(hash)}`);
    let read = false;
    await this.write(hash, size, async function* () {
      read = true;
      const digest = createHash('sha256');
      for await (const chunk of rechunk(input())) {
        digest.update(chunk);
        yield chunk;
      }
      const actual = digest.digest('hex');
      if (actual !== hash) throw new Error(`blob ${hash}: the content read has sha256 ${actual}`);
    });
    return read;
  }

  /**
   * Bytes of one chunk or less are written by the append that refers to them, inside its
   * transaction (writeInline), so a delivery commits once, not once for its blob and once for its rows.
   */
  stageInline(bytes: Buffer, hash?: string): string | null {
    return bytes.length <= CHUNK ? (hash ?? createHash('sha256').update(bytes).digest('hex')) : null;
  }

  /**
   * Stores staged bytes inside the caller's transaction. A concurrent transaction storing the same
   * bytes makes this one wait for its end, then finds its row (or writes them, if it rolled back);
   * callers write several in hash order, so two such transactions never wait on each other.
   */
  async writeInline(q: Conn, hash: string, bytes: Buffer): Promise<void> {
    const now = Date.now();
    const row = await q.get<{ fresh: boolean }>(
      `INSERT INTO blob (hash, size, chunk_size, touched_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET touched_at = EXCLUDED.touched_at RETURNING (xmax = 0) AS fresh`,
      hash,
      bytes.length,
      CHUNK,
      now,
    );
    // xmax = 0: this statement inserted the row (no other transaction's row was there).
    if (row?.fresh) await q.run('INSERT INTO blob_chunk (hash, n, data) VALUES (?, 0, ?)', hash, bytes);
  }

  private async write(hash: string, size: number, chunks: () => AsyncIterable<Buffer>): Promise<void> {
    await transaction(this.pool, async (q) => {
      // Waits for a concurrent writer of the same content, then sees its (committed) row.
      const inserted = await q.get<{ hash: string }>(
        `INSERT INTO blob (hash, size, chunk_size, touched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING RETURNING hash`,
        hash,
        size,
        CHUNK,
        Date.now(),
      );
      if (!inserted) {
        await q.run('UPDATE blob SET touched_at = ? WHERE hash = ?', Date.now(), hash);
        return;
      }
      let n = 0;
      let written = 0;
      for await (const chunk of chunks()) {
        await q.run('INSERT INTO blob_chunk (hash, n, data) VALUES (?, ?, ?)', hash, n++, chunk);
        written += chunk.length;
      }
      if (written !== size) throw new Error(`blob ${hash}: ${written} bytes read, ${size} expected`);
    });
  }

  async touch(hash: string): Promise<void> {
    await this.q.run('UPDATE blob SET touched_at = ? WHERE hash = ?', Date.now(), hash);
  }

  async sizeOf(hash: string): Promise<number | null> {
    if (!HASH_RE.test(hash)) return null;
    const row = await this.q.get<{ size: number }>('SELECT size FROM blob WHERE hash = ?', hash);
    return row?.size ?? null;
  }

  /** The bytes (or a range) as chunks, one statement per chunk. */
  async *stream(hash: string, range?: ByteRange): AsyncGenerator<Buffer> {
    if (!HASH_RE.test(hash)) return;
    const meta = await this.q.get<{ size: number; chunk_size: number }>('SELECT size, chunk_size FROM blob WHERE hash = ?', hash);
    if (!meta) return;
    const start = Math.max(0, Math.min(range?.start ?? 0, meta.size));
    const end = Math.max(start, Math.min(range?.end ?? meta.size, meta.size));
    for (let pos = start; pos < end; ) {
      const n = Math.floor(pos / meta.chunk_size);
      const offset = pos - n * meta.chunk_size;
      const length = Math.min(meta.chunk_size - offset, end - pos);
      const row = await this.q.get<{ d: Buffer }>('SELECT substring(data FROM ? FOR ?) AS d FROM blob_chunk WHERE hash = ? AND n = ?', offset + 1, length, hash, n);
      // Collected while being read (or damaged): the reader gives up on its response.
      if (!row) throw new BytesGoneError(hash);
      yield row.d;
      pos += length;
    }
  }

  async open(hash: string, range?: ByteRange): Promise<ByteSource | null> {
    const size = await this.sizeOf(hash);
    if (size === null) return null;
    const { start, end } = clipRange(size, range);
    // One chunk row per statement as the reader goes; a blob collected meanwhile is BytesGoneError.
    return { size: end - start, chunks: () => exactly(hash, end - start, this.stream(hash, { start, end })) };
  }

  async read(hash: string, range?: ByteRange): Promise<Buffer | null> {
    if ((await this.sizeOf(hash)) === null) return null;
    const parts: Buffer[] = [];
    for await (const part of this.stream(hash, range)) parts.push(part);
    return Buffer.concat(parts);
  }
}

/** Regroups a byte stream into CHUNK-sized buffers (the last one shorter). */
async function* rechunk(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of input) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    while (buf.length) {
      const take = Math.min(CHUNK - length, buf.length);
      pending.push(buf.subarray(0, take));
      length += take;
      buf = buf.subarray(take);
      if (length === CHUNK) {
        yield Buffer.concat(pending);
        pending = [];
        length = 0;
      }
    }
  }
  if (length) yield Buffer.concat(pending);
}
