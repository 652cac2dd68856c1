// Schema version 5: the outbound queue keeps each item's DSN request and transport requirements
// (RFC 3461 RET/ENVID, SMTPUTF8, REQUIRETLS) and per-recipient NOTIFY/ORCPT. A queue written by
// version 4 keeps its items, which get the default (empty) request, and takes new ones in full.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

describe('migration of the outbound queue (schema version 5)', () => {
  it('keeps version-4 items with an empty envelope request and stores new requests', async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-migrate-q-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    const old = await store.enqueueOutbound({ sender: 'a@x.example', recipients: ['b@y.example'], bytes: Buffer.from('Subject: old\r\n\r\nx\r\n') });
    await store.close();

    const db = new Database(path.join(dataDir, 'store.sqlite'));
    try {
      db.exec("ALTER TABLE outbound DROP COLUMN envelope; UPDATE meta SET value = '4' WHERE key = 'schema_version';");
    } finally {
      db.close();
    }

    store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    try {
      const kept = await store.getOutbound(old.id);
      assert.deepEqual(kept?.envelope, {});
      assert.deepEqual(kept?.recipients, [{ address: 'b@y.example', status: 'pending', lastResponse: null }]);
      const item = await store.enqueueOutbound({
        sender: 'a@x.example',
        recipients: [{ address: 'c@y.example', notify: ['SUCCESS', 'DELAY'], orcpt: { type: 'rfc822', address: 'c+orig@y.example' } }, 'd@y.example'],
        envelope: { ret: 'HDRS', envid: 'id-1', smtputf8: true, requireTls: true },
        bytes: Buffer.from('Subject: new\r\n\r\nx\r\n'),
      });
      const claimed = await store.claimOutbound({ owner: 'w', leaseMs: 60_000, limit: 10 });
      const again = claimed.find((i) => i.id === item.id)!;
      assert.deepEqual(again.envelope, { ret: 'HDRS', envid: 'id-1', smtputf8: true, requireTls: true });
      assert.deepEqual(again.recipients[0], { address: 'c@y.example', notify: ['SUCCESS', 'DELAY'], orcpt: { type: 'rfc822', address: 'c+orig@y.example' }, status: 'pending', lastResponse: null });
      const after = await store.recordDeliveryAttempt(item.id, 'w', {
        results: [{ address: 'c@y.example', outcome: 'deferred', response: '451 later', delayReported: true }],
        nextAttemptAt: new Date(Date.now() + 60_000),
      });
      assert.equal(after.recipients[0]!.delayReported, true);
      assert.equal(after.recipients[1]!.delayReported, undefined);
    } finally {
      await store.close();
    }
    const check = new Database(path.join(dataDir, 'store.sqlite'), { readonly: true });
    try {
      assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
    } finally {
      check.close();
    }
  });
});
