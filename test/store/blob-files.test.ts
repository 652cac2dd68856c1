// Blob files land in <root>/ab/cd/<hash>; BlobFiles remembers, one bit per directory, which ones it
// has created. These cases pick contents whose hashes share the first level but not the second, and
// share both, so a directory remembered under the wrong bit (and a mkdir skipped) shows as a blob
// that cannot be written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobFiles } from '../../src/store/blobs.js';
import { BytesGoneError } from '../../src/store/api/byte-source.js';
import { mulberry32 } from '../support/prng.js';

/** Contents (and their hashes) from a seeded generator, so a failure replays. */
function contents(count: number, seed: number): Array<{ bytes: Buffer; hash: string }> {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const bytes = Buffer.from(`blob ${i} ${random().toString(36)}`);
    return { bytes, hash: BlobFiles.hash(bytes) };
  });
}

/** Two entries whose hashes agree on `prefix` hex digits and differ on the next two. */
function pair(all: Array<{ bytes: Buffer; hash: string }>, prefix: number): [Buffer, Buffer] {
  const seen = new Map<string, { bytes: Buffer; hash: string }>();
  for (const c of all) {
    const other = seen.get(c.hash.slice(0, prefix));
    if (other && other.hash.slice(prefix, prefix + 2) !== c.hash.slice(prefix, prefix + 2)) return [other.bytes, c.bytes];
    seen.set(c.hash.slice(0, prefix), c);
  }
  throw new Error(`no two hashes share ${prefix} leading hex digits`);
}

test('blobs are written into every directory they hash to, including new ones next to known ones', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tessera-blob-files-'));
  try {
    const blobs = new BlobFiles(root);
    const all = contents(3000, 0x5eed);
    // Same <ab>, different <cd>: the second needs a directory of its own under a known parent.
    const [firstLevelA, firstLevelB] = pair(all, 2);
    // Same <ab>/<cd> (3000 hashes over 65,536 directories: such pairs exist): a known directory.
    const sameDir = all.filter((c, i) => all.findIndex((d) => d.hash.slice(0, 4) === c.hash.slice(0, 4)) !== i)[0];
    assert.ok(sameDir, 'two of the hashes share a directory');
    const sameDirFirst = all.find((c) => c.hash.slice(0, 4) === sameDir.hash.slice(0, 4))!;
    const order = [firstLevelA, firstLevelB, sameDirFirst.bytes, sameDir.bytes, ...all.slice(0, 200).map((c) => c.bytes)];
    for (const bytes of order) {
      const hash = await blobs.put(bytes);
      assert.deepEqual(await readFile(blobs.pathOf(hash)), bytes);
    }
    // A second instance on the same root (a restarted server) finds the directories there.
    const again = new BlobFiles(root);
    const fresh = contents(50, 0xbeef);
    for (const { bytes } of fresh) assert.deepEqual(await again.read(await again.put(bytes)), bytes);
    // Putting the same bytes again is a no-op that still answers with the hash.
    assert.equal(await blobs.put(firstLevelA), BlobFiles.hash(firstLevelA));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('streams a blob file in chunks, and nothing for a blob that is not there', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tessera-blobs-stream-'));
  try {
    const files = new BlobFiles(root);
    const bytes = Buffer.alloc(600 * 1024, 'abc');
    const hash = await files.put(bytes);
    const chunks: Buffer[] = [];
    for await (const chunk of files.stream(hash)) chunks.push(chunk);
    assert.ok(chunks.length > 1, 'more than one chunk');
    assert.ok(Buffer.concat(chunks).equals(bytes));
    const none: Buffer[] = [];
    for await (const chunk of files.stream(BlobFiles.hash(Buffer.from('absent')))) none.push(chunk);
    assert.deepEqual(none, []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('an opened blob file removed before it is read fails with BytesGoneError, not a short read', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tessera-blob-open-'));
  try {
    const files = new BlobFiles(root);
    const bytes = Buffer.alloc(600 * 1024, 'x');
    const hash = await files.put(bytes);
    const whole = await files.open(hash);
    assert.equal(whole?.size, bytes.length);
    const gone = await files.open(hash, { start: 1000, end: 2000 });
    await files.remove(hash);
    await assert.rejects(async () => {
      for await (const chunk of gone!.chunks()) assert.ok(chunk);
    }, BytesGoneError);
    assert.equal(await files.open(hash), null);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
