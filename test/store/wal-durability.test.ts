// Grouped appends commit without waiting for the WAL fsync on the main thread (wal-sync.ts); these
// tests hold that fsync back to show no append is answered before its commit is on disk, that
// the WAL is still checkpointed (and started over) when only grouped commits write, and that a
// checkpoint syncs the main file off the event loop without letting any writer start the WAL over
// before that sync is done.
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

/** The WAL header's checkpoint sequence number and salts: they change whenever the WAL starts over. */
function walGeneration(dataDir: string): string {
  const fd = fsSync.openSync(path.join(dataDir, 'store.sqlite-wal'), 'r');
  try {
    const header = Buffer.alloc(24);
    fsSync.readSync(fd, header, 0, 24, 0);
    return header.subarray(12, 24).toString('hex');
  } finally {
    fsSync.closeSync(fd);
  }
}

/** Holds fdatasync calls on the file whose path ends with `suffix` until release() (others sync normally). */
function holdSyncs(suffix = 'store.sqlite-wal'): { held: () => number; release: () => void } {
  const queue: Array<() => void> = [];
  (fsSync as { fdatasync: typeof fsSync.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    let target = '';
    try {
      target = fsSync.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // not on Linux: nothing is held
    }
    if (target.endsWith(suffix)) queue.push(() => realFdatasync(fd, cb));
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
      const gate = holdSyncs();
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
      const generation = walGeneration(dataDir);
      await waitFor(
        `the main database file to grow past ${before + 150 * 3000} bytes with the messages' text`,
        () => fsSync.statSync(mainFile).size >= before + 150 * 3000,
        10_000,
      );
      // A checkpoint is followed by a commit that starts the WAL over, instead of the WAL growing
      // for as long as appends keep coming.
      for (let i = 0; i < 40; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `more ${i}` }) });
      assert.notEqual(walGeneration(dataDir), generation, 'the WAL was started over');
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('syncs the main file after a checkpoint off the event loop, and nothing starts the WAL over before that sync is done', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-wal-'));
    const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    const gate = holdSyncs('/store.sqlite');
    try {
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      // 32 grouped commits are what start a checkpoint (CHECKPOINT_EVERY in wal-sync.ts).
      for (let i = 0; i < 32; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `before ${i}` }) });
      await waitFor('the checkpoint to ask for a sync of the main file', () => gate.held() > 0, 5000);
      const generation = walGeneration(dataDir);
      // The event loop is free: reads are answered, and a write that commits on its own (FULL)
      // goes through, but without starting the WAL over: the pages the checkpoint copied into the
      // main file are not on disk yet, and the WAL frames holding them must not be overwritten.
      assert.ok((await store.listMailboxes(USER)).some((m) => m.path === 'INBOX'));
      await store.createMailbox(USER, { path: 'During' });
      assert.equal(walGeneration(dataDir), generation, 'no commit started the WAL over during the main-file sync');
      // A grouped append waits for the checkpoint to end.
      let answered = false;
      const waiting = store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: 'during' }) }).then((r) => {
        answered = true;
        return r;
      });
      await store.listMailboxes(USER);
      await nextTurn();
      assert.equal(answered, false, 'a grouped append is not committed while the checkpoint runs');
      gate.release();
      assert.equal((await waiting).placements[0]!.uid, 33);
      const peek = new Database(path.join(dataDir, 'store.sqlite'), { readonly: true });
      try {
        assert.equal(peek.prepare('SELECT count(*) FROM email').pluck().get(), 33);
      } finally {
        peek.close();
      }
    } finally {
      gate.release();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
