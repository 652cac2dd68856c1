// ProtocolServer lifecycle: describe(), a clear error for a busy port, and stop() ending push
// connections instead of waiting for them forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { join } from 'node:path';
import { createJmapServer } from '../../src/jmap/index.js';
import { jmapConfig, startHarness } from './harness.js';

test('describe() names the URL; a busy port fails start() naming the address', async () => {
  const h = await startHarness();
  try {
    assert.match(h.server.describe()[0] ?? '', new RegExp(`^http://127\\.0\\.0\\.1:${h.server.port()}/jmap`));
    const clash = createJmapServer(
      { auth: { loginWithPassword: async () => ({ ok: false, failure: { code: 'invalid', message: 'no' } }), loginWithBearer: async () => ({ ok: false, failure: { code: 'invalid', message: 'no' } }) },
        users: h.users, store: h.store, events: h.bus, logger: h.logger, sessions: h.sessions, spoolDir: join(h.dir, 'spool', 'jmap-clash') },
      jmapConfig({ bind: { host: '127.0.0.1', port: h.server.port()! } }),
    );
    await assert.rejects(clash.start(), new RegExp(`127\\.0\\.0\\.1:${h.server.port()}`));
  } finally {
    await h.close();
  }
});

test('stop() closes open EventSource streams and WebSockets and resolves', async () => {
  const h = await startHarness();
  let closed = false;
  try {
    const sse = await fetch(`${h.url}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: h.basic('alice@example.com') } });
    assert.equal(sse.status, 200);
    const reader = sse.body!.getReader();
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: h.basic('alice@example.com') } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await h.close();
    closed = true;
    assert.equal(await wsClosed, 1001);
    assert.equal((await reader.read()).done, true);
  } finally {
    if (!closed) await h.close();
  }
});
