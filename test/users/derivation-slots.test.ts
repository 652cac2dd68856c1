// Password hashing shares libuv's thread pool with file I/O (the fsyncs behind every delivered
// message): derivations run in a bounded number of slots, so file I/O never queues behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, verifyPasswordHash } from '../../src/auth/users/password-hash.js';
import { DerivationSlots, sharedDerivationSlots, THREADS_KEPT_FOR_IO, threadPoolSize } from '../../src/auth/users/derivation-slots.js';

test('the slots leave threads of the pool to file I/O', () => {
  assert.equal(threadPoolSize({}), 4);
  assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
  assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'lots' }), 4);
  assert.equal(sharedDerivationSlots.slots, Math.max(1, threadPoolSize() - THREADS_KEPT_FOR_IO));
});

test('a file read issued while eight password checks run completes before any of them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-slots-'));
  try {
    const file = join(dir, 'blob');
    await writeFile(file, 'a stored message');
    const stored = await hashPassword('secret');
    const finished: string[] = [];
    const checks = Array.from({ length: 8 }, (_, i) =>
      verifyPasswordHash(i === 0 ? 'secret' : `guess ${i}`, stored).then((ok) => {
        finished.push(`check ${i}`);
        return ok;
      }),
    );
    const read = readFile(file, 'utf8').then((text) => {
      finished.push('read');
      return text;
    });
    assert.equal(await read, 'a stored message');
    const results = await Promise.all(checks);
    assert.deepEqual(results, [true, false, false, false, false, false, false, false]);
    assert.equal(finished[0], 'read', `order of completion: ${finished.join(', ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('derivations beyond the slots wait, and start in the order they came', async () => {
  const slots = new DerivationSlots(2);
  const started: number[] = [];
  const finishers: Array<() => void> = [];
  let most = 0;
  const runs = Array.from({ length: 6 }, (_, i) =>
    slots.run(
      () =>
        new Promise<void>((resolve) => {
          started.push(i);
          most = Math.max(most, slots.active);
          finishers[i] = resolve;
        }),
    ),
  );
  assert.deepEqual(started, [0, 1]);
  for (let i = 0; i < 6; i++) {
    // Let a freed slot pass to the next in line before looking.
    finishers[i]!();
    await runs[i];
  }
  await Promise.all(runs);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(most, 2);
  assert.equal(slots.active, 0);
});
