// IMAP and IMAPS behind a load balancer speaking the PROXY protocol: the login attempts the auth
// core sees (the failed-login throttle's keys and the audit log line) carry the client the header
// names, not the balancer's address; IMAPS reads the header before its TLS handshake.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const PROXY = { trustedNetworks: ['127.0.0.0/8'], headerTimeoutMs: 3000 };

/** Connects as a balancer would: the header first, then (for IMAPS) the handshake, then the greeting. */
async function viaProxy(port: number, header: string | Buffer, secure?: { ca: string }): Promise<RawClient> {
  const raw = net.connect(port, '127.0.0.1');
  await once(raw, 'connect', { signal: AbortSignal.timeout(5000) });
  raw.write(header);
  let socket: net.Socket = raw;
  if (secure) {
    socket = tls.connect({ socket: raw, ca: secure.ca, servername: 'localhost' });
    await once(socket, 'secureConnect', { signal: AbortSignal.timeout(5000) });
  }
  const c = new RawClient(socket);
  assert.match(await c.readLine(), /^\* OK/);
  return c;
}

describe('IMAP with <proxyRequired>', () => {
  it('a failed and a good LOGIN reach the auth core (throttle, audit log) as the header\'s client', async () => {
    const h = await startImap({ users: { 'alice@example.test': 'alice-pw' }, config: { proxyRequired: true, proxy: PROXY } });
    try {
      const c = await viaProxy(h.port, 'PROXY TCP4 192.0.2.44 10.0.0.11 51000 143\r\n');
      assert.match((await c.command('a', 'LOGIN alice@example.test wrong')).at(-1) ?? '', /^a NO/);
      assert.match((await c.command('b', 'LOGIN alice@example.test alice-pw')).at(-1) ?? '', /^b OK/);
      c.close();
      const events = h.auth.recentEvents.list({ user: 'alice@example.test' });
      assert.deepEqual(
        events.map((e) => [e.peer, e.result]),
        [
          ['192.0.2.44', 'invalid'],
          ['192.0.2.44', 'success'],
        ],
      );
    } finally {
      await h.close();
    }
  });

  it('IMAPS: v2 header, then TLS, then the session; its logins are the header\'s IPv6 client\'s', async () => {
    const h = await startImap({ tls: 'implicit', users: { 'bob@example.test': 'bob-pw' }, config: { proxyRequired: true, proxy: PROXY } });
    try {
      const sig = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
      const body = Buffer.alloc(36);
      Buffer.from('20010db8000000000000000000000044', 'hex').copy(body, 0);
      body.writeUInt16BE(52000, 32);
      body.writeUInt16BE(993, 34);
      const c = await viaProxy(h.port, Buffer.concat([sig, Buffer.from([0x21, 0x21, 0, 36]), body]), { ca: h.cert! });
      assert.match((await c.command('a', 'LOGIN bob@example.test bob-pw')).at(-1) ?? '', /^a OK/);
      c.close();
      assert.deepEqual(
        h.auth.recentEvents.list({ user: 'bob@example.test' }).map((e) => e.peer),
        ['2001:db8::44'],
      );
    } finally {
      await h.close();
    }
  });

  it('a client connecting straight to the port (no header) is closed before the greeting', async () => {
    const h = await startImap({ config: { proxyRequired: true, proxy: PROXY } });
    try {
      const raw = net.connect(h.port, '127.0.0.1');
      await once(raw, 'connect');
      const c = new RawClient(raw);
      c.write('a1 CAPABILITY\r\n');
      assert.equal(await c.closedWithin(5000), true);
    } finally {
      await h.close();
    }
  });
});
