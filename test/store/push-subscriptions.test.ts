// The store's push subscriptions (RFC 8620 §7.2, JMAP's PushSubscription): kept across restarts,
// created in databases that predate them, and erased from the file when destroyed ("the server
// MUST securely erase the URL and encryption keys from memory and storage as soon as possible").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { silentLogger } from '../../src/log/logger.js';
import type { PushSubscriptionRecord } from '../../src/store/types.js';

function record(id: string, user: string, url: string): PushSubscriptionRecord {
  return {
    id,
    user,
    binding: { credential: 'token https://op app sid s1', issuer: 'https://op', sid: 's1', subject: 'sub-1' },
    deviceClientId: 'device',
    url,
    keys: { p256dh: 'BPublicKeyPublicKeyPublicKey', auth: 'AuthSecretAuthSecret' },
    verificationCode: 'code',
    verified: false,
    expires: new Date('2030-01-02T03:04:05.000Z'),
    types: ['Email', 'Mailbox'],
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
  };
}

async function withStore<T>(dir: string, fn: (store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<T>): Promise<T> {
  const bus = new MemoryEventBus(silentLogger());
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await bus.close();
  }
}

test('add, list by user, update and delete survive a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-pushsub-'));
  try {
    const a = record('a', 'alice@example.com', 'https://push.example/a');
    await withStore(dir, async (store) => {
      await store.addPushSubscription(a);
      await store.addPushSubscription({ ...record('b', 'bob@example.com', 'https://push.example/b'), keys: null, types: null, binding: { credential: 'basic' } });
      assert.equal(await store.updatePushSubscription('a', { verified: true, types: null }), true);
      assert.equal(await store.updatePushSubscription('nope', { verified: true }), false);
    });
    await withStore(dir, async (store) => {
      assert.deepEqual(await store.listPushSubscriptions('alice@example.com'), [{ ...a, verified: true, types: null }]);
      const b = (await store.listPushSubscriptions('bob@example.com'))[0]!;
      assert.deepEqual([b.keys, b.types, b.binding], [null, null, { credential: 'basic' }]);
      assert.equal((await store.listPushSubscriptions()).length, 2);
      assert.equal(await store.deletePushSubscriptions(['a', 'missing']), 1);
      assert.deepEqual((await store.listPushSubscriptions()).map((r) => r.id), ['b']);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a database from before push subscriptions gets the table when opened', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-pushsub-'));
  try {
    await withStore(dir, async () => undefined);
    const db = new Database(join(dir, 'store.sqlite'));
    db.exec('DROP TABLE push_subscription');
    db.close();
    await withStore(dir, async (store) => {
      await store.addPushSubscription(record('n', 'alice@example.com', 'https://push.example/n'));
      assert.equal((await store.listPushSubscriptions('alice@example.com')).length, 1);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a deleted subscription leaves neither its URL nor its keys in the database file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-pushsub-'));
  const url = 'https://push.example/SECRET-TOKEN-0123456789';
  try {
    await withStore(dir, async (store) => {
      await store.addPushSubscription(record('s', 'alice@example.com', url));
      await store.addPushSubscription(record('kept', 'alice@example.com', 'https://push.example/kept'));
      await store.deletePushSubscriptions(['s']);
    });
    // Closing checkpoints the WAL into the main file; neither may hold the secret any more.
    for (const name of ['store.sqlite', 'store.sqlite-wal']) {
      const bytes = await readFile(join(dir, name)).catch(() => Buffer.alloc(0));
      assert.equal(bytes.includes(Buffer.from('SECRET-TOKEN')), false, `${name} still holds the URL`);
      assert.ok(name !== 'store.sqlite' || bytes.includes(Buffer.from('push.example/kept')), 'the file is the one written');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
