// The network edge behind a load balancer, on real sockets: PROXY v1 and v2 headers, whole or cut in
// pieces, the bytes pipelined after them, implicit TLS after the header, and every way a connection is
// turned away (untrusted peer, no header, a bad or late one). The client the header names is the
// connection's peer, for the per-address limit too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { NetListener, type AcceptedConnection, type ListenerSettings } from '../../src/net/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectionsRefused } from '../../src/net/metrics.js';
import { testCertificate } from '../smtp/certificate.js';
import { watchServerSockets, type ServerSocketWatch } from '../support/server-sockets.js';
import { waitFor } from '../support/wait.js';

const DEADLINE = (ms: number): AbortSignal => AbortSignal.timeout(ms);
const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2Inet4(src: number[], sport: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(src).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(sport, 8);
  body.writeUInt16BE(993, 10);
  return Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

const V2_LOCAL = Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0x00, 0x00])]);

interface Seen {
  remoteAddress: string;
  remotePort: number;
  secure: boolean;
  /** The first bytes the protocol read from the connection. */
  data: string;
}

/**
 * A PROXY listener whose "protocol" reports what it saw: the peer, then the first line it read,
 * echoed back as `<address> <port> <line>`.
 */
async function proxyListener(settings: Partial<ListenerSettings> = {}): Promise<{ listener: NetListener; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const onConnection = (c: AcceptedConnection): void => {
    let data = '';
    c.socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const eol = data.indexOf('\n');
      if (eol < 0) return;
      seen.push({ remoteAddress: c.remoteAddress, remotePort: c.remotePort, secure: c.secure, data: data.slice(0, eol + 1) });
      c.socket.write(`${c.remoteAddress} ${c.remotePort} ${data.slice(0, eol + 1)}`);
    });
  };
  const listener = new NetListener({
    settings: {
      name: 'proxy-test',
      source: 'test.conf, block 1',
      bind: [{ host: '127.0.0.1', port: 0 }],
      tls: { socketTLS: false, startTLS: false },
      connectionLimit: 0,
      connectionLimitPerIP: 0,
      proxy: { trustedNetworks: ['127.0.0.0/8'], headerTimeoutMs: 3000 },
      ...settings,
    },
    refusal: (reason) => `NO ${reason}\r\n`,
    logger: silentLogger(),
    onConnection,
  });
  await listener.start();
  return { listener, port: listener.ports()[0]!, seen };
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await once(s, 'connect', { signal: DEADLINE(5000) });
  return s;
}

/** The first line the server answers (the socket stays open). */
function firstLine(socket: net.Socket | tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no line within 5 s (got ${JSON.stringify(text)})`)), 5000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(text.slice(0, text.indexOf('\n') + 1));
    };
    socket.on('data', onData);
  });
}

/** Everything the server sends until it closes, and whether it closed within the deadline. */
async function untilClosed(socket: net.Socket, ms = 5000): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  await once(socket, 'close', { signal: DEADLINE(ms) });
  return Buffer.concat(chunks).toString('latin1');
}

/** The server's end of the `index`th connection made to the watched port, once accepted. */
function serverEnd(watch: ServerSocketWatch, index: number): Promise<net.Socket> {
  return waitFor(`the server to accept connection ${index + 1}`, () => watch.sockets[index], 5000);
}

/**
 * Resolves once the server's end has read `total` bytes: what the client writes next then reaches the
 * header reader as a read of its own (no sleep hoping the segments were not coalesced).
 */
async function serverRead(server: net.Socket, total: number): Promise<void> {
  await waitFor(`the server to have read ${total} bytes (read ${server.bytesRead})`, () => server.bytesRead >= total, 5000);
}

const stop = (l: NetListener): Promise<void> => l.stop(new Date(Date.now() + 500), { shutdown: () => undefined });

describe('PROXY protocol listener', () => {
  it('v1: the header\'s client is the peer, and the line pipelined in the same write reaches the protocol whole', async () => {
    const { listener, port, seen } = await proxyListener();
    try {
      const s = await connect(port);
      s.write('PROXY TCP4 192.0.2.7 10.0.0.11 56324 143\r\na1 CAPABILITY\r\n');
      assert.equal(await firstLine(s), '192.0.2.7 56324 a1 CAPABILITY\r\n');
      assert.deepEqual(seen, [{ remoteAddress: '192.0.2.7', remotePort: 56324, secure: false, data: 'a1 CAPABILITY\r\n' }]);
      s.destroy();
    } finally {
      await stop(listener);
    }
  });

  it('v2 cut into one-byte writes, and v1 TCP6 cut mid-address: waited for, then read exactly', async () => {
    const { listener, port } = await proxyListener();
    const watch = watchServerSockets(port);
    try {
      const s = await connect(port);
      const sServer = await serverEnd(watch, 0);
      let sent = 0;
      for (const b of Buffer.concat([v2Inet4([198, 51, 100, 9], 40000), Buffer.from('hello\r\n')])) {
        s.write(Buffer.from([b]));
        await serverRead(sServer, ++sent);
      }
      assert.equal(await firstLine(s), '198.51.100.9 40000 hello\r\n');
      s.destroy();
      const t = await connect(port);
      const tServer = await serverEnd(watch, 1);
      sent = 0;
      for (const piece of ['PROXY TCP6 2001:DB8::', '7 2001:db8::1 1 2\r', '\nnext\r\n']) {
        t.write(piece);
        await serverRead(tServer, (sent += piece.length));
      }
      assert.equal(await firstLine(t), '2001:db8::7 1 next\r\n');
      t.destroy();
    } finally {
      watch.stop();
      await stop(listener);
    }
  });

  it('v2 LOCAL and v1 UNKNOWN (health checks): the connection is the proxy\'s own', async () => {
    const { listener, port } = await proxyListener();
    try {
      const s = await connect(port);
      s.write(Buffer.concat([V2_LOCAL, Buffer.from('ping\r\n')]));
      assert.match(await firstLine(s), /^127\.0\.0\.1 \d+ ping\r\n$/);
      s.destroy();
      const t = await connect(port);
      t.write('PROXY UNKNOWN\r\nping\r\n');
      assert.match(await firstLine(t), /^127\.0\.0\.1 \d+ ping\r\n$/);
      t.destroy();
    } finally {
      await stop(listener);
    }
  });

  it('a peer outside proxy.trustedNetworks is closed unread, its header never believed', async () => {
    const { listener, port, seen } = await proxyListener({ proxy: { trustedNetworks: ['10.0.0.0/8'], headerTimeoutMs: 3000 } });
    try {
      const s = await connect(port);
      s.write('PROXY TCP4 192.0.2.7 10.0.0.11 56324 143\r\nhello\r\n');
      assert.equal(await untilClosed(s), '');
      assert.deepEqual(seen, []);
    } finally {
      await stop(listener);
    }
  });

  it('no header (a client talking straight to the port), a bad one, or none in time: closed before the protocol sees a byte', async () => {
    const { listener, port, seen } = await proxyListener({ proxy: { trustedNetworks: ['127.0.0.1'], headerTimeoutMs: 300 } });
    try {
      const straight = await connect(port);
      straight.write('a1 LOGIN alice secret\r\n');
      assert.equal(await untilClosed(straight), '');
      const bad = await connect(port);
      bad.write('PROXY TCP4 192.0.2.07 10.0.0.11 1 2\r\nhello\r\n');
      assert.equal(await untilClosed(bad), '');
      const oversized = await connect(port);
      oversized.write(Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]));
      assert.equal(await untilClosed(oversized), '');
      const started = Date.now();
      const silent = await connect(port);
      silent.write('PROXY TCP4 192.0.2.7');
      assert.equal(await untilClosed(silent, 3000), '');
      assert.ok(Date.now() - started >= 250, 'closed at the header deadline, not before');
      assert.deepEqual(seen, []);
    } finally {
      await stop(listener);
    }
  });

  it('a balancer\'s TCP health check (connect, leave) is not counted as a refusal; a bad header and an untrusted peer are', async () => {
    const refused = async (listener: string, reason: string): Promise<number> =>
      (await connectionsRefused.prom.get()).values.find((v) => v.labels['listener'] === listener && v.labels['reason'] === reason)?.value ?? 0;
    const { listener, port } = await proxyListener({ name: 'proxy-metrics' });
    const { listener: closed, port: closedPort } = await proxyListener({ name: 'proxy-metrics-untrusted', proxy: { trustedNetworks: ['10.0.0.0/8'], headerTimeoutMs: 3000 } });
    try {
      const probe = await connect(port);
      probe.end();
      await untilClosed(probe);
      const bad = await connect(port);
      bad.write('GET / HTTP/1.0\r\n\r\n');
      await untilClosed(bad);
      await untilClosed(await connect(closedPort));
      assert.equal(await refused('proxy-metrics', 'proxyHeader'), 1);
      assert.equal(await refused('proxy-metrics-untrusted', 'proxyUntrusted'), 1);
    } finally {
      await stop(listener);
      await stop(closed);
    }
  });

  it('connectionLimitPerIP counts the clients the headers name, not the balancer', async () => {
    const { listener, port } = await proxyListener({ connectionLimitPerIP: 1 });
    const open: net.Socket[] = [];
    try {
      const first = await connect(port);
      open.push(first);
      first.write('PROXY TCP4 192.0.2.1 10.0.0.11 1000 143\r\nx\r\n');
      assert.equal(await firstLine(first), '192.0.2.1 1000 x\r\n');
      const other = await connect(port);
      open.push(other);
      other.write('PROXY TCP4 192.0.2.2 10.0.0.11 1001 143\r\nx\r\n');
      assert.equal(await firstLine(other), '192.0.2.2 1001 x\r\n');
      const again = await connect(port);
      open.push(again);
      again.write('PROXY TCP4 192.0.2.1 10.0.0.11 1002 143\r\n');
      assert.equal(await untilClosed(again), 'NO perIpLimit\r\n');
    } finally {
      for (const s of open) s.destroy();
      await stop(listener);
    }
  });

  it('implicit TLS: the header comes first, then the handshake, and the TLS session\'s peer is the header\'s client', async () => {
    const cert = await testCertificate();
    const { listener, port, seen } = await proxyListener({
      tls: { socketTLS: true, startTLS: false, key: Buffer.from(cert.key), cert: Buffer.from(cert.cert) },
    });
    try {
      const raw = await connect(port);
      raw.write(v2Inet4([203, 0, 113, 5], 50000));
      const secure = tls.connect({ socket: raw, ca: cert.cert, servername: 'localhost' });
      await once(secure, 'secureConnect', { signal: DEADLINE(5000) });
      secure.write('over tls\r\n');
      assert.equal(await firstLine(secure), '203.0.113.5 50000 over tls\r\n');
      assert.equal(seen[0]?.secure, true);
      secure.destroy();
    } finally {
      await stop(listener);
    }
  });
});
