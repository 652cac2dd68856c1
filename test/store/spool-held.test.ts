// A message that ends within HELD_LIMIT never gets a spool file: its bytes are held in memory, read
// back from there (head, read, stream, a copy behind trace lines), and written once, by the blob
// store, when it takes the message. One byte more and the message goes through a spool file as
// before. Arriving bytes are counted while held and no longer once handed over or discarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolDir, spoolWithPrefix, ingestMemoryStats } from '../../src/store/index.js';
import { HELD_LIMIT } from '../../src/store/spool/incoming.js';
import { BlobFiles } from '../../src/store/blobs.js';
import { ingestSource } from '../../src/store/ingest.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function messageOf(size: number): Buffer {
  const head = Buffer.from('From: <a@b.example>\r\nSubject: held\r\n\r\n', 'latin1');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 'y')]);
}

async function withDirs(fn: (spool: SpoolDir, blobs: BlobFiles) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-spool-held-'));
  try {
    const spool = new SpoolDir(join(root, 'spool'));
    await spool.prepare();
    await fn(spool, new BlobFiles(join(root, 'blobs')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('a message within HELD_LIMIT makes no spool file, reads back from memory and is stored by the blob store', async () => {
  await withDirs(async (spool, blobs) => {
    const bytes = messageOf(HELD_LIMIT);
    const arrivingBefore = ingestMemoryStats().arrivingBytes;
    const writer = spool.message(0);
    for (let off = 0; off < bytes.length; off += 1000) await writer.append(bytes.subarray(off, off + 1000));
    assert.equal(ingestMemoryStats().arrivingBytes - arrivingBefore, bytes.length, 'held bytes count as arriving');
    assert.deepEqual(await spool.files(), [], 'no spool file while it arrives');
    const held = await writer.finish();
    assert.equal(ingestMemoryStats().arrivingBytes, arrivingBefore, 'handed over, no longer arriving');
    assert.deepEqual(await spool.files(), [], 'no spool file once finished');
    assert.equal(held.size, bytes.length);
    assert.equal(held.sha256, sha256(bytes));
    assert.deepEqual(held.heldBytes, bytes);
    assert.deepEqual(await held.head(20), bytes.subarray(0, 20));
    assert.deepEqual(await held.read(), bytes);
    const streamed: Buffer[] = [];
    for await (const chunk of held.stream()) streamed.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(streamed), bytes);

    // Delivery's copy behind its trace line, less an omitted range, is held too.
    const prefix = Buffer.from('Received: by test\r\n', 'latin1');
    const copy = await spoolWithPrefix(prefix, held, [{ start: 0, end: 21 }]);
    const expected = Buffer.concat([prefix, bytes.subarray(21)]);
    assert.deepEqual(copy.heldBytes, expected);
    assert.deepEqual(await spool.files(), []);

    const stored = await ingestSource(blobs, copy);
    assert.equal(stored.blob, sha256(expected));
    assert.equal(stored.analysis.parsed.subject, 'held');
    assert.deepEqual(await readFile(blobs.pathOf(stored.blob)), expected);
    assert.equal(copy.inSpool, false, 'the store took it');
    assert.equal(copy.heldBytes, undefined);
    assert.deepEqual(await copy.read(), expected, 'still readable after the store took it');
    // The same message for a second recipient: the blob exists, nothing is written again.
    assert.equal((await ingestSource(blobs, copy)).blob, stored.blob);
    await held.discard();
    await assert.rejects(held.read(), /discarded/);
  });
});

test('one byte past HELD_LIMIT goes through a spool file, byte-exact; a discarded held message counts nothing', async () => {
  await withDirs(async (spool, blobs) => {
    const bytes = messageOf(HELD_LIMIT + 1);
    const writer = spool.message(0);
    await writer.append(bytes.subarray(0, HELD_LIMIT));
    assert.deepEqual(await spool.files(), []);
    await writer.append(bytes.subarray(HELD_LIMIT));
    assert.equal((await spool.files()).length, 1, 'spilled to a spool file');
    const spooled = await writer.finish();
    assert.equal(spooled.heldBytes, undefined);
    assert.deepEqual(await readFile(spooled.path), bytes);
    const stored = await ingestSource(blobs, spooled);
    assert.equal(stored.blob, sha256(bytes));
    assert.deepEqual(await spool.files(), [], 'renamed into the blob store');

    const arrivingBefore = ingestMemoryStats().arrivingBytes;
    const dropped = spool.message(0);
    await dropped.append(bytes.subarray(0, 500));
    assert.equal(ingestMemoryStats().arrivingBytes - arrivingBefore, 500);
    await dropped.discard();
    assert.equal(ingestMemoryStats().arrivingBytes, arrivingBefore);
    await assert.rejects(dropped.finish(), /discarded/);
  });
});
