// A blob store without files (PostgreSQL) has stored messages parsed from a scratch file, never read
// back whole: the second recipient of one delivery, and a stored blob imported or copied, cost the
// parser's window in memory, not the message. The scratch file goes afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlobBackend } from '../../src/store/blob-backend.js';
import type { ByteRange } from '../../src/store/api/values.js';
import type { ByteSource } from '../../src/store/api/byte-source.js';
import { bufferSource } from '../../src/store/byte-sources.js';
import { ingestSource } from '../../src/store/ingest.js';
import { SpooledMessage } from '../../src/store/spool/spooled.js';
import { parseMessage } from '../../src/mime/parse.js';
import { message } from './fixtures.js';

const CHUNK = 64 * 1024;

/** Chunked blobs in memory, as PgBlobs keeps them in rows; records every read of a whole blob. */
class ChunkedBlobs implements BlobBackend {
  readonly blobs = new Map<string, Buffer>();
  readonly wholeReads: string[] = [];

  put(bytes: Buffer): Promise<string> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.blobs.set(hash, Buffer.from(bytes));
    return Promise.resolve(hash);
  }
  async adopt(source: SpooledMessage): Promise<string> {
    // As PgBlobs: a source taken before (the delivery's first recipient) is there already.
    if (!source.inSpool) return source.sha256;
    const hash = await this.put(source.heldBytes ?? (await source.read()));
    await source.release(`chunked:${hash}`);
    return hash;
  }
  read(hash: string, range?: ByteRange): Promise<Buffer | null> {
    const b = this.blobs.get(hash);
    if (b && !range) this.wholeReads.push(hash);
    return Promise.resolve(b ? (range ? b.subarray(range.start, range.end) : b) : null);
  }
  async *stream(hash: string): AsyncGenerator<Buffer> {
    const b = this.blobs.get(hash);
    for (let off = 0; b && off < b.length; off += CHUNK) yield b.subarray(off, off + CHUNK);
  }
  async open(hash: string, range?: ByteRange): Promise<ByteSource | null> {
    const b = this.blobs.get(hash);
    return b ? bufferSource(b, range) : null;
  }
  touch(): Promise<void> {
    return Promise.resolve();
  }
  localPath(): null {
    return null;
  }
}

/** A message of about 1 MiB: several text parts and an attachment, so the analysis has substance. */
function bigMessage(): Buffer {
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(6000);
  return message({ subject: 'large report', body: `${text}\r\nthe end marker` });
}

describe('stored messages parsed from a blob store without files', () => {
  it('parses the second recipient of a delivery through a scratch file in the spool, never reading the blob whole', async () => {
    const spool = await mkdtemp(path.join(os.tmpdir(), 'tessera-scratch-'));
    try {
      const bytes = bigMessage();
      const file = path.join(spool, 'incoming.eml');
      await writeFile(file, bytes);
      const source = new SpooledMessage(file, bytes.length, createHash('sha256').update(bytes).digest('hex'));
      const blobs = new ChunkedBlobs();
      const first = await ingestSource(blobs, source);
      assert.equal(source.inSpool, false, 'the store took the spool file');
      const second = await ingestSource(blobs, source);
      assert.equal(second.blob, first.blob);
      assert.deepEqual(second.analysis, parseMessage(bytes));
      assert.deepEqual(blobs.wholeReads, []);
      assert.deepEqual(await readdir(spool), [], 'no scratch file left behind');
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  it('parses a stored blob (JMAP import, copy) the same way, and says when the blob is gone', async () => {
    const bytes = bigMessage();
    const blobs = new ChunkedBlobs();
    const blob = await blobs.put(bytes);
    const got = await ingestSource(blobs, { blob, size: bytes.length });
    assert.deepEqual(got.analysis, parseMessage(bytes));
    assert.deepEqual(blobs.wholeReads, []);
    blobs.blobs.delete(blob);
    await assert.rejects(ingestSource(blobs, { blob, size: bytes.length }), { name: 'StoreUnavailableError' });
  });
});
