// Grouped commits (src/store/sqlite/group-commit.ts): a job that fails leaves none of its writes
// behind, whether it commits alone (no savepoint: the transaction is rolled back) or beside others
// (its savepoint is rolled back, theirs are committed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/sqlite/db.js';
import { SqliteBlobs } from '../../src/store/sqlite/blob-store.js';
import { BlobFiles } from '../../src/store/blobs.js';
import { WalDurability } from '../../src/store/sqlite/wal-sync.js';
import { FtsIndex } from '../../src/store/sqlite/fts-index.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { commitGrouped } from '../../src/store/sqlite/group-commit.js';
import { sql, type Ctx } from '../../src/store/sqlite/context.js';

describe('grouped commits', () => {
  let dir: string;
  let ctx: Ctx;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-group-'));
    const file = path.join(dir, 'store.sqlite');
    const db = openDatabase(file, () => null);
    ctx = {
      db,
      blobs: new SqliteBlobs(db, new BlobFiles(path.join(dir, 'blobs'))),
      events: new MemoryEventBus(),
      defaultQuota: { storage: 0, messages: 0 },
      retentionMs: 86_400_000,
      uploadTtlMs: 86_400_000,
      statements: new Map(),
      ftsDirty: false,
      ftsTrimmedUpTo: 0,
      insertedSinceOptimize: 0,
      wal: new WalDurability(db, file),
      fts: new FtsIndex({ searchFile: path.join(dir, 'search.sqlite'), mainFile: file }),
    };
  });

  after(async () => {
    await ctx.fts.close();
    await ctx.wal.close();
    ctx.db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const write = (key: string): void => {
    sql(ctx, 'INSERT INTO meta (key, value) VALUES (?, ?)').run(key, 'x');
  };
  const stored = (key: string): boolean => sql(ctx, 'SELECT 1 FROM meta WHERE key = ?').pluck().get(key) === 1;

  it('rolls back a lone job that fails after writing, and commits the next one', async () => {
    await assert.rejects(
      commitGrouped(ctx, () => {
        write('lone-failed');
        throw new Error('refused after writing');
      }),
      /refused after writing/,
    );
    assert.equal(stored('lone-failed'), false, 'nothing of the failed job is stored');
    assert.equal(ctx.db.inTransaction, false);
    await commitGrouped(ctx, () => write('lone-next'));
    assert.equal(stored('lone-next'), true);
  });

  it('rolls back only the failing job of a group and commits the others', async () => {
    // Queued in one turn, the three jobs share one transaction.
    const outcomes = await Promise.allSettled([
      commitGrouped(ctx, () => write('group-first')),
      commitGrouped(ctx, () => {
        write('group-failed');
        throw new Error('second refused');
      }),
      commitGrouped(ctx, () => {
        write('group-third');
        return 3;
      }),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((outcomes[2] as PromiseFulfilledResult<number>).value, 3);
    assert.equal(stored('group-first'), true);
    assert.equal(stored('group-failed'), false);
    assert.equal(stored('group-third'), true);
  });
});
