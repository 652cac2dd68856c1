// Grouped appends commit without waiting for the WAL fsync on the main thread (wal-sync.ts); these
// tests hold that fsync back to show no append is answered before its commit is on disk, and that
// the WAL is still checkpointed when only grouped commits write.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fsSync from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { message } from './fixtures.js';
import { waitFor } from '../support/wait.js';

const USER = 'dave@example.org';
const realFdatasync = fsSync.fdatasync;

/** Holds fdatasync calls on the store's -wal file until release() (other files sync normally). */
function holdWalSyncs(): { held: () => number; release: () => void } {
  const queue: Array<() => void> = [];
  (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    let target = '';
    try {
      target = fsSync.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // not on Linux: nothing is held
    }
    if (target.endsWith('store.sqlite-wal')) queue.push(() => realFdatasync(fd, cb));
    else realFdatasync(fd, cb);
  }) as typeof fsSync.fdatasync;
  return {
    held: () => queue.length,
    release: () => {
      (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = realFdatasync;
      for (const run of queue.splice(0)) run();
    },
  };
}

describe('durability of grouped commits', () => {
  afterEach(() => {
    (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = realFdatasync;
  });

  it('answers an append only after the WAL holding its commit is synced', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-wal-'));
    const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    try {
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      const gate = holdWalSyncs();
      let answered = 0;
      const appends = Array.from({ length: 5 }, (_, i) =>
        store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `held ${i}` }) }).then((r) => {
          answered++;
          return r;
        }),
      );
      // Wait until the commit happened and its sync was asked for.
      await waitFor('the grouped commit to ask for a WAL sync', () => gate.held() > 0, 5000);
      // The rows are committed (another connection sees them) but nobody has been answered.
      const peek = new Database(path.join(dataDir, 'store.sqlite'), { readonly: true });
      try {
        assert.ok((peek.prepare('SELECT count(*) FROM email').pluck().get() as number) > 0);
      } finally {
        peek.close();
      }
      // Let whatever is already queued run (a turn of the event loop): an early answer would land here.
      await nextTurn();
      assert.equal(answered, 0, 'no append is answered before its WAL sync finished');
      gate.release();
      const results = await Promise.all(appends);
      assert.equal(answered, 5);
      assert.deepEqual(results.map((r) => r.placements[0]!.uid).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('fails the appends of a commit whose WAL sync fails, and every later call, instead of answering them', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-wal-'));
    const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    try {
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      // An I/O error from the disk is the one fault a real component cannot produce on demand.
      (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
        const target = fsSync.readlinkSync(`/proc/self/fd/${fd}`);
        if (target.endsWith('store.sqlite-wal')) setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
        else realFdatasync(fd, cb);
      }) as typeof fsSync.fdatasync;
      await assert.rejects(store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: 'doomed' }) }), (err: Error) => {
        assert.equal(err.name, 'StoreUnavailableError');
        assert.match(err.message, /EIO/);
        return true;
      });
      // The disk is no longer trusted: later calls fail the same way instead of committing more.
      (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = realFdatasync;
      await assert.rejects(store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: 'after' }) }), { name: 'StoreUnavailableError' });
      await assert.rejects(store.listMailboxes(USER), { name: 'StoreUnavailableError' });
    } finally {
      (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = realFdatasync;
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('checkpoints the WAL when only grouped appends write', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-wal-'));
    const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    try {
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      const mainFile = path.join(dataDir, 'store.sqlite');
      const before = fsSync.statSync(mainFile).size;
      for (let i = 0; i < 150; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `ckpt ${i} ${'x'.repeat(3000)}` }) });
      // Grouped commits never checkpoint by themselves (wal_autocheckpoint is off around them);
      // the store's own checkpoints copy the committed pages into the main file.
      await waitFor(
        `the main database file to grow past ${before + 150 * 3000} bytes with the messages' text`,
        () => fsSync.statSync(mainFile).size >= before + 150 * 3000,
        10_000,
      );
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
