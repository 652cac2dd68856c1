// The running server sweeps its store: expired uploads go without anyone calling collectGarbage by
// hand, a failing sweep is logged and retried, and stop() waits for a sweep under way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger, createLogger } from '../../src/log/logger.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { StoreMaintenance } from '../../src/store/types.js';
import { startStoreSweeper } from '../../src/server/store-maintenance.js';
import { waitFor, withDeadline } from '../support/wait.js';

test('expired JMAP uploads disappear on the sweeper’s own schedule', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sweep-'));
  const events = new MemoryEventBus(silentLogger());
  const store = await openSqliteStore({ dataDir: dir, events, logger: silentLogger(), uploadTtlMs: 1 });
  try {
    await store.ensureAccount('u@x');
    const blob = await store.uploadBlob('u@x', Buffer.from('hello'), 'text/plain');
    const sweeper = startStoreSweeper(store, silentLogger(), 20);
    await waitFor('the expired upload to be swept', async () => (await store.readBlob('u@x', blob.blobId)) === null, 10_000);
    await sweeper.stop();
  } finally {
    await store.close();
    await events.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed sweep is logged and the next tick tries again; stop() waits for the sweep under way', async () => {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  let calls = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const store: StoreMaintenance = {
    async collectGarbage() {
      calls += 1;
      if (calls === 1) throw new Error('disk unavailable');
      await held;
      finished = true;
      return 0;
    },
  };
  const sweeper = startStoreSweeper(store, logger, 10);
  await waitFor('a second sweep after the failure', () => calls >= 2, 10_000);
  assert.ok(lines.some((l) => l.includes('store sweep failed')), 'the failure is logged');
  const stopped = sweeper.stop();
  release();
  await withDeadline(stopped, 5000, 'stop() after the held sweep');
  assert.equal(finished, true, 'stop() resolved only after the running sweep ended');
  assert.equal(calls, 2, 'sweeps never overlap and none starts after stop()');
});
