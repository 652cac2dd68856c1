// The network edge on real sockets: binding port 0, limits with the protocol's refusal line, implicit
// TLS and STARTTLS, graceful stop with a deadline, and output back-pressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { ListenError, NetListener, writeWithBackpressure, isHeldForOutput, type AcceptedConnection, type ListenerOptions, type ListenerSettings } from '../../src/net/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { testCertificate } from '../smtp/certificate.js';
import { generateSelfSignedPem } from '../../src/server/self-signed.js';

const DEADLINE = (ms: number): AbortSignal => AbortSignal.timeout(ms);

type TestListener = Partial<ListenerSettings> & Pick<ListenerOptions, 'onConnection'>;

function listener({ onConnection, ...settings }: TestListener): NetListener {
  return new NetListener({
    settings: {
      name: 'test-listener',
      source: 'test.conf, block 1',
      bind: [{ host: '127.0.0.1', port: 0 }],
      tls: { socketTLS: false, startTLS: false },
      connectionLimit: 0,
      connectionLimitPerIP: 0,
      ...settings,
    },
    refusal: (reason) => `NO ${reason}\r\n`,
    logger: silentLogger(),
    onConnection,
  });
}

/** Everything the server sends until it closes the connection. */
async function readAll(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close', { signal: DEADLINE(5000) });
  return Buffer.concat(chunks).toString('latin1');
}

/** Waits (event-loop turns, with a deadline) until `ready()` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect', { signal: DEADLINE(5000) });
  return s;
}

test('binds port 0, reports the bound address, and greets through the protocol', async () => {
  const l = listener({ onConnection: (c) => c.socket.end('hello\r\n') });
  await l.start();
  try {
    const [port] = l.ports();
    assert.ok(port && port > 0);
    assert.deepEqual(l.urls('imap'), [`imap://127.0.0.1:${port}`]);
    assert.equal(await readAll(await connect(port)), 'hello\r\n');
  } finally {
    await l.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('a busy port fails start() naming the configuration, the listener, the address and the likely cause, once', async () => {
  const first = listener({ onConnection: () => undefined });
  await first.start();
  const port = first.ports()[0]!;
  const second = listener({ bind: [{ host: '127.0.0.1', port }], onConnection: () => undefined });
  try {
    await assert.rejects(second.start(), (err: Error) => {
      assert.ok(err instanceof ListenError);
      assert.equal(err.code, 'EADDRINUSE');
      assert.match(err.message, new RegExp(`^test\\.conf, block 1: test-listener cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
      assert.equal(err.message.split(String(port)).length, 2, `the address is said once: ${err.message}`);
      return true;
    });
  } finally {
    await first.stop(new Date(), { shutdown: () => undefined });
  }
});

test('total and per-IP limits answer with the refusal line; a released session frees its place', async () => {
  const accepted: AcceptedConnection[] = [];
  const l = listener({ connectionLimit: 5, connectionLimitPerIP: 1, onConnection: (c) => accepted.push(c) });
  await l.start();
  try {
    const port = l.ports()[0]!;
    const first = await connect(port);
    await until(() => accepted.length === 1, 'the first connection');
    assert.equal(await readAll(await connect(port)), 'NO perIpLimit\r\n');
    assert.equal(l.connectionCount, 1);
    accepted[0]!.release();
    assert.equal(l.connectionCount, 0);
    const again = await connect(port);
    await until(() => accepted.length === 2, 'the released place to go to the next client');
    first.destroy();
    again.destroy();
  } finally {
    await l.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('TLS versions: 1.2 and 1.3 by default; a listener limited to 1.3 (James <supportedProtocols>) refuses a 1.2 client', async () => {
  const { key, cert } = await testCertificate();
  const open = listener({ tls: { socketTLS: true, startTLS: false, key, cert }, onConnection: (c) => c.socket.end('ok\r\n') });
  const strict = listener({ tls: { socketTLS: true, startTLS: false, key, cert, minVersion: 'TLSv1.3' }, onConnection: (c) => c.socket.end('ok\r\n') });
  await open.start();
  await strict.start();
  const handshake = (port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> =>
    new Promise((resolve) => {
      const t = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion });
      t.once('secureConnect', () => {
        resolve(t.getProtocol() ?? 'unknown');
        t.destroy();
      });
      t.once('error', (err: NodeJS.ErrnoException) => resolve(`refused: ${err.code ?? err.message}`));
    });
  try {
    assert.equal(await handshake(open.ports()[0]!, 'TLSv1.2'), 'TLSv1.2');
    assert.equal(await handshake(open.ports()[0]!, 'TLSv1.3'), 'TLSv1.3');
    assert.match(await handshake(strict.ports()[0]!, 'TLSv1.2'), /^refused/);
    assert.equal(await handshake(strict.ports()[0]!, 'TLSv1.3'), 'TLSv1.3');
  } finally {
    await open.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
    await strict.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('implicit TLS and STARTTLS use the listener certificate', async () => {
  const { key, cert } = await testCertificate();
  const implicit = listener({
    tls: { socketTLS: true, startTLS: false, key, cert },
    onConnection: (c) => c.socket.end(c.secure ? 'secure\r\n' : 'clear\r\n'),
  });
  const upgrading = listener({
    tls: { socketTLS: false, startTLS: true, key, cert },
    onConnection: (c) => {
      c.socket.write('go\r\n');
      void upgrading.startTls(c.socket).then((t) => t.end('upgraded\r\n'), () => undefined);
    },
  });
  await implicit.start();
  await upgrading.start();
  try {
    assert.equal(implicit.canStartTls, false);
    assert.equal(upgrading.canStartTls, true);
    const t = tls.connect({ port: implicit.ports()[0]!, host: '127.0.0.1', rejectUnauthorized: false });
    assert.equal(await readAll(t), 'secure\r\n');

    const raw = await connect(upgrading.ports()[0]!);
    await once(raw, 'data', { signal: DEADLINE(5000) });
    const secured = tls.connect({ socket: raw, rejectUnauthorized: false });
    assert.equal(await readAll(secured), 'upgraded\r\n');
  } finally {
    await implicit.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
    await upgrading.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('reloadTls: new connections and STARTTLS upgrades get the new certificate; unusable material changes nothing', async () => {
  const old = await testCertificate();
  const renewed = await generateSelfSignedPem(['renewed.example.test']);
  const next = { socketTLS: true, startTLS: false, selfSigned: false, key: Buffer.from(renewed.key), cert: Buffer.from(renewed.cert) };
  const implicit = listener({ source: 'imaps block', tls: { socketTLS: true, startTLS: false, ...old }, onConnection: (c) => c.socket.end('secure\r\n') });
  const upgrading = listener({
    source: 'starttls block',
    tls: { socketTLS: false, startTLS: true, ...old },
    onConnection: (c) => {
      c.socket.write('go\r\n');
      void upgrading.startTls(c.socket).then((t) => t.end('upgraded\r\n'), () => undefined);
    },
  });
  const clear = listener({ onConnection: (c) => c.socket.end('clear\r\n') });
  const peerName = async (socket: tls.TLSSocket): Promise<string> => {
    await once(socket, 'secureConnect', { signal: DEADLINE(5000) });
    const cn = String(socket.getPeerCertificate().subject.CN);
    await readAll(socket);
    return cn;
  };
  const viaStartTls = async (): Promise<string> => {
    const raw = await connect(upgrading.ports()[0]!);
    await once(raw, 'data', { signal: DEADLINE(5000) });
    return peerName(tls.connect({ socket: raw, rejectUnauthorized: false }));
  };
  const implicitName = (): Promise<string> => peerName(tls.connect({ port: implicit.ports()[0]!, host: '127.0.0.1', rejectUnauthorized: false }));
  for (const l of [implicit, upgrading, clear]) await l.start();
  try {
    assert.equal(await implicitName(), 'localhost');
    assert.equal(await viaStartTls(), 'localhost');
    // Material for another block, or none, leaves a listener as it is; a clear listener takes none.
    assert.equal(implicit.reloadTls((source) => (source === 'elsewhere' ? next : undefined)), false);
    assert.equal(clear.reloadTls(() => next), false);
    const broken = { ...next, cert: Buffer.from('not a certificate') };
    assert.throws(() => implicit.reloadTls(() => broken), /imaps block.*unusable/);
    assert.equal(await implicitName(), 'localhost');
    // The mode stays as started even if the new settings say otherwise.
    assert.equal(implicit.reloadTls(() => next), true);
    assert.equal(upgrading.reloadTls(() => next), true);
    assert.equal(upgrading.canStartTls, true);
    assert.equal(await implicitName(), 'renewed.example.test');
    assert.equal(await viaStartTls(), 'renewed.example.test');
  } finally {
    for (const l of [implicit, upgrading, clear]) await l.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('a failed TLS handshake is the client’s problem: the listener keeps serving', async () => {
  const { key, cert } = await testCertificate();
  const l = listener({ tls: { socketTLS: true, startTLS: false, key, cert }, onConnection: (c) => c.socket.end('ok\r\n') });
  await l.start();
  try {
    const port = l.ports()[0]!;
    const garbage = await connect(port);
    garbage.write('this is not a TLS client hello\r\n\r\n');
    await readAll(garbage);
    const t = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    assert.equal(await readAll(t), 'ok\r\n');
  } finally {
    await l.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});

test('graceful stop: sessions that finish in time close themselves; the rest meet the deadline', async () => {
  const sessions: AcceptedConnection[] = [];
  const l = listener({ onConnection: (c) => sessions.push(c) });
  await l.start();
  const port = l.ports()[0]!;
  const polite = await connect(port);
  const stubborn = await connect(port);
  await until(() => sessions.length === 2, 'both connections');
  const politeText = readAll(polite);
  const stubbornText = readAll(stubborn);
  let expired = false;
  await l.stop(new Date(Date.now() + 300), {
    // The "protocol" lets only the first session go on request.
    shutdown: () => sessions[0]!.socket.end('bye\r\n'),
    expire: () => {
      expired = true;
      for (const s of sessions) if (!s.socket.destroyed) s.socket.write('too late\r\n');
    },
  });
  assert.equal(expired, true);
  assert.equal(await politeText, 'bye\r\n');
  assert.equal(await stubbornText, 'too late\r\n');
  await assert.rejects(connect(port), /ECONNREFUSED/);
});

test('output back-pressure pauses reading until the client has read the replies', async () => {
  let server: net.Socket | undefined;
  const l = listener({ onConnection: (c) => (server = c.socket) });
  await l.start();
  try {
    const client = await connect(l.ports()[0]!);
    client.pause();
    await until(() => server !== undefined, 'the connection');
    assert.ok(server);
    // The kernel's buffers take the first megabytes; what is left waits in the socket's own buffer.
    const big = Buffer.alloc(256 * 1024, 0x41);
    for (let i = 0; i < 256 && !isHeldForOutput(server); i++) writeWithBackpressure(server, big, 128 * 1024);
    assert.equal(isHeldForOutput(server), true);
    assert.equal(server.isPaused(), true);
    client.resume();
    await once(server, 'drain', { signal: DEADLINE(5000) });
    assert.equal(isHeldForOutput(server), false);
    assert.equal(server.isPaused(), false);
    client.destroy();
  } finally {
    await l.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
  }
});
