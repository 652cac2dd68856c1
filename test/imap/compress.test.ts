// COMPRESS=DEFLATE (RFC 4978) over real sockets: Python's imaplib with its socket wrapped in raw
// deflate (a real client) reads mail through it; a second COMPRESS is refused (§3, COMPRESSIONACTIVE);
// it is offered and accepted only once authenticated; a big FETCH through it still stops under output
// back-pressure and then completes; and input that inflates to far more than it weighs meets the
// same line limit as uncompressed input.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync } from 'node:zlib';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { watchServerSockets } from '../support/server-sockets.js';
import { OUTPUT_HIGH_WATER } from '../../src/net/index.js';

const USER = 'alice@example.org';
const PASS = 'secret';
const SCRIPT = fileURLToPath(new URL('./clients/imaplib_compress.py', import.meta.url));

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { [USER]: PASS } });
});
after(async () => {
  await h.close();
});

async function append(c: RawClient, tag: string, text: string): Promise<void> {
  c.write(`${tag} APPEND INBOX {${Buffer.byteLength(text)}+}\r\n`);
  c.write(text + '\r\n');
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

/** A compressed connection of our own: what we send is deflated, what we read inflated. */
async function compressedClient(port: number): Promise<{
  socket: net.Socket;
  send(text: string | Buffer): void;
  text(): string;
  inflated(): number;
  /** Resolves once `needle` has arrived (looked for in each new piece only: the text grows to tens of MB). */
  seen(needle: string, ms: number): Promise<void>;
}> {
  const socket = net.connect(port, '127.0.0.1');
  let plain = '';
  let compressed = false;
  const pieces: string[] = [];
  /** The last characters received, longer than any awaited needle. */
  let tail = '';
  const TAIL = 64;
  let total = 0;
  const inflate = createInflateRaw();
  const waiters = new Set<{ needle: string; found(): void }>();
  inflate.on('data', (b: Buffer) => {
    total += b.length;
    const piece = b.toString('latin1');
    // The needle may straddle two pieces: look at the end of what came before as well (`tail`, kept
    // apart: slicing the growing text itself would flatten tens of MB at every piece).
    const window = tail + piece;
    for (const w of waiters) if (window.includes(w.needle)) w.found();
    tail = window.slice(-TAIL);
    pieces.push(piece);
  });
  socket.on('data', (b: Buffer) => {
    if (compressed) {
      inflate.write(b);
      return;
    }
    plain += b.toString('latin1');
    // Everything after the COMPRESS OK line is deflated.
    const ok = /\r\nz OK[^\n]*\n/.exec(plain);
    if (ok) {
      compressed = true;
      const end = Buffer.byteLength(plain.slice(0, ok.index + ok[0].length), 'latin1');
      const rest = Buffer.from(plain, 'latin1').subarray(end);
      if (rest.length > 0) inflate.write(rest);
    }
  });
  await waitFor('greeting', () => plain.includes('\r\n'), 5000);
  socket.write(`l LOGIN ${USER} ${PASS}\r\n`);
  await waitFor('LOGIN', () => /\r\nl OK/.test(plain), 5000);
  socket.write('z COMPRESS DEFLATE\r\n');
  await waitFor('COMPRESS', () => compressed, 5000);
  const deflate = createDeflateRaw();
  deflate.on('data', (b: Buffer) => socket.write(b));
  return {
    socket,
    send(text) {
      deflate.write(text);
      deflate.flush(constants.Z_SYNC_FLUSH);
    },
    text: () => {
      const text = pieces.join('');
      pieces.splice(0, pieces.length, text);
      return text;
    },
    inflated: () => total,
    seen(needle, ms) {
      if (needle.length > TAIL) throw new RangeError('needle longer than the kept tail');
      if (pieces.join('').includes(needle)) return Promise.resolve();
      let waiter: { needle: string; found(): void } | undefined;
      const found = new Promise<void>((resolve) => {
        waiter = { needle, found: resolve };
        waiters.add(waiter);
      });
      return withDeadline(found, ms, JSON.stringify(needle)).finally(() => waiters.delete(waiter!));
    },
  };
}

test('RFC 4978 §3 with Python imaplib: COMPRESS DEFLATE, then SELECT, FETCH and SEARCH compressed; a second COMPRESS gets NO [COMPRESSIONACTIVE]', async () => {
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  const bodies = ['Subject: one\r\n\r\nfirst body\r\n', `Subject: two\r\n\r\n${'compressible '.repeat(2000)}\r\n`];
  for (const [i, b] of bodies.entries()) await append(c, `a${i}`, b);
  c.close();
  const out = await new Promise<string>((resolve, reject) => {
    execFile('python3', [SCRIPT, String(h.port), USER, PASS], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const r = JSON.parse(out) as { capabilities: string[]; compress: string; select: [string, string]; bodies: string[]; search: string; again: [string, string]; noop: string };
  assert.ok(r.capabilities.includes('COMPRESS=DEFLATE'), r.capabilities.join(' '));
  assert.equal(r.compress, 'OK');
  assert.deepEqual(r.select, ['OK', '2']);
  assert.deepEqual(r.bodies, bodies);
  assert.equal(r.search, '1 2');
  assert.equal(r.again[0], 'NO');
  assert.match(r.again[1], /^\[COMPRESSIONACTIVE\]/);
  assert.equal(r.noop, 'OK');
});

test('RFC 4978 §3: COMPRESS is not offered nor accepted before authentication; an unknown mechanism is BAD', async () => {
  const c = await RawClient.connect(h.port);
  try {
    const caps = (await c.command('c', 'CAPABILITY')).find((l) => l.startsWith('* CAPABILITY '))!;
    assert.ok(!caps.split(' ').includes('COMPRESS=DEFLATE'), caps);
    assert.match((await c.command('z', 'COMPRESS DEFLATE')).at(-1)!, /^z (BAD|NO)/);
    assert.match((await c.command('l', `LOGIN ${USER} ${PASS}`)).at(-1)!, /^l OK/);
    assert.match((await c.command('y', 'COMPRESS GZIP')).at(-1)!, /^y BAD/);
    assert.match((await c.command('n', 'NOOP')).at(-1)!, /^n OK/);
  } finally {
    c.close();
  }
});

test('a big FETCH through COMPRESS stops under back-pressure while the client does not read, then completes', async () => {
  const h2 = await startImap({ users: { [USER]: PASS } });
  const watch = watchServerSockets(h2.port);
  try {
    const c = await RawClient.loggedIn(h2.port, USER, PASS);
    const count = 40;
    const size = 512 * 1024;
    for (let i = 0; i < count; i++) await append(c, `a${i}`, `Subject: big ${i}\r\n\r\n${randomBytes(size).toString('base64').replace(/(.{76})/g, '$1\r\n')}`);
    c.close();
    const z = await compressedClient(h2.port);
    const server = await waitFor('the server side of the connection', () => watch.sockets.find((s) => s.remotePort === z.socket.localPort));
    z.send('s SELECT INBOX\r\n');
    await z.seen('\r\ns OK', 10_000);
    z.socket.pause();
    z.send('f FETCH 1:* BODY.PEEK[]\r\n');
    // The stall: our reads stopped, the kernel's buffers fill, then the server's socket needs 'drain'.
    await waitFor('the server to stop sending', () => server.writableNeedDrain && server.writableLength > 0, 60_000);
    const stalledAt = server.bytesWritten;
    const rawTotal = count * size * 1.3;
    assert.ok(stalledAt < rawTotal / 2, `server had written ${stalledAt} of ~${rawTotal} bytes before stalling`);
    z.socket.resume();
    await z.seen('\r\nf OK', 120_000);
    const fetched = z.text().match(/^\* \d+ FETCH \(BODY\[\] \{\d+\}\r\n/gm) ?? [];
    assert.equal(fetched.length, count);
    assert.ok(watch.maxUnflushed() <= OUTPUT_HIGH_WATER + 64 * 1024, `server held ${watch.maxUnflushed()} bytes of unflushed output`);
    z.socket.destroy();
  } finally {
    watch.stop();
    await h2.close();
  }
});

test('a compressed line inflating to 256 MiB meets the line limit (BAD), and the connection stays usable', async () => {
  const z = await compressedClient(h.port);
  try {
    // 256 MiB of one letter deflates to about 256 KiB; deflated here in 16 MiB pieces.
    const piece = Buffer.alloc(16 * 1024 * 1024, 'a');
    assert.ok(deflateRawSync(piece).length < 64 * 1024, 'the input is a bomb: it inflates over 256 times');
    for (let i = 0; i < 16; i++) z.send(piece);
    z.send('\r\nn NOOP\r\n');
    await z.seen('\r\nn OK', 120_000);
    assert.match(z.text(), /^\S+ BAD .*\r\n/m);
    assert.ok(z.inflated() < 64 * 1024, `server sent ${z.inflated()} bytes`);
  } finally {
    z.socket.destroy();
  }
});
