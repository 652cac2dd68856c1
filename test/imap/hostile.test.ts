// Hostile clients over real sockets: memory a connection can make the server hold is bounded —
// before login by the small pre-authentication limits (refused literals are never read), and at any
// time by output back-pressure (a client that pipelines and never reads gets no replies queued past
// the high-water mark; its commands wait unread).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { watchServerSockets } from '../support/server-sockets.js';
import { OUTPUT_HIGH_WATER } from '../../src/net/index.js';

const USER = 'alice@example.org';
/** The documented defaults: 64 KiB per line and literal before login, 64 MiB literals after. */
const PRE_AUTH_LIMIT = 64 * 1024;
const LITERAL_LIMIT = 64 * 1024 * 1024;
const PASS = 'secret';
/** A password literal one byte under the pre-authentication limit (longer than any stored one). */
const LONG_PASS = 'p'.repeat(PRE_AUTH_LIMIT - 1);

let h: ImapHarness;
before(async () => {
  // The sample configuration's literal limit (64 MiB): a 64 MiB literal is fine after login.
  h = await startImap({ users: { [USER]: PASS }, config: { maxLiteralSize: LITERAL_LIMIT } });
});
after(async () => {
  await h.close();
});

test('before login a 64 MiB literal announcement is refused with BAD [TOOBIG] without its bytes being read', async () => {
  const c = await RawClient.connect(h.port);
  c.write('a LOGIN alice@example.org {67108864}\r\n');
  // The answer arrives although not one byte of the literal was sent: nothing was waited for or held.
  assert.match(await c.readLine(), /^a BAD \[TOOBIG\] .*65536 bytes before authentication/);
  const r = await c.command('b', 'CAPABILITY');
  assert.equal(r.at(-1), 'b OK CAPABILITY completed');
  c.close();
});

test('before login a non-synchronising 64 MiB literal followed by its data closes the connection', async () => {
  const c = await RawClient.connect(h.port);
  c.write('a LOGIN alice@example.org {67108864+}\r\n');
  c.write(Buffer.alloc(256 * 1024, 0x78));
  assert.match(await c.readLine(), /^a BAD \[TOOBIG\]/);
  assert.match(await c.readLine(), /^\* BYE /);
  assert.ok(await c.closedWithin(5000), 'the connection is closed');
});

test('before login a line over the limit is refused and the connection closed', async () => {
  const c = await RawClient.connect(h.port);
  c.write(`a LOGIN ${'x'.repeat(PRE_AUTH_LIMIT + 10)}`);
  assert.match(await c.readLine(), /^a BAD \[TOOBIG\] Command line too long/);
  assert.match(await c.readLine(), /^\* BYE /);
  assert.ok(await c.closedWithin(5000), 'the connection is closed');
});

test('a LOGIN literal one byte under the pre-authentication limit works; after login a larger APPEND literal does too', async () => {
  const d = await RawClient.connect(h.port);
  d.write(`w LOGIN ${USER} {${LONG_PASS.length}}\r\n`);
  assert.match(await d.readLine(), /^\+ /);
  d.write(`${LONG_PASS}\r\n`);
  // Read whole and checked: a wrong password, not a refused literal.
  assert.match((await d.until('w', 10_000)).at(-1)!, /^w NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await d.command('l', `LOGIN ${USER} ${PASS}`)).at(-1)!, /^l OK /);
  const size = 1024 * 1024;
  d.write(`a APPEND INBOX {${size}}\r\n`);
  assert.match(await d.readLine(), /^\+ /);
  d.write(Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(size - 16, 0x61)]));
  d.write('\r\n');
  assert.match((await d.until('a', 20_000)).at(-1)!, /^a OK /);
  d.close();
});

/** Unflushed replies one client that never reads may make the server hold (bench/hostile: 200 of them). */
const PER_CONNECTION_OUTPUT = 64 * 1024;

test('a client that pipelines CAPABILITY and never reads: the server holds at most the high-water mark, then answers all in order', async () => {
  const watch = watchServerSockets(h.port);
  const client = net.connect(h.port, '127.0.0.1');
  try {
    await withDeadline(new Promise((resolve) => client.once('connect', resolve)), 5000, 'connect');
    client.pause();
    const n = 200_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`t${i} CAPABILITY\r\n`);
    client.write(lines.join(''));
    const server = await waitFor('the server side of the connection', () => watch.sockets.find((sock) => sock.remotePort === client.localPort));
    // The stall: our replies fill the kernel's buffers, then the server's own, and it stops reading.
    await waitFor('the server to stop reading the client', () => server.writableLength > OUTPUT_HIGH_WATER && server.isPaused(), 60_000);

    // Now read everything: every command is answered, in order.
    let next = 0;
    let tail = '';
    const done = new Promise<void>((resolve, reject) => {
      client.setEncoding('latin1');
      client.on('data', (chunk: string) => {
        const text = tail + chunk;
        const parts = text.split('\r\n');
        tail = parts.pop()!;
        for (const line of parts) {
          if (line.startsWith('* ')) continue;
          const expected = `t${next} OK CAPABILITY completed`;
          if (line !== expected) {
            reject(new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(line)}`));
            return;
          }
          next++;
          if (next === n) resolve();
        }
      });
      client.resume();
    });
    await withDeadline(done, 240_000, `all ${n} tagged replies`);
    // One reply batch past the mark at most (the replies of the commands that crossed it), and the
    // mark itself small enough that 200 such clients hold a few MB of replies, not 100 (issue #15).
    assert.ok(watch.maxUnflushed() <= OUTPUT_HIGH_WATER + 16 * 1024, `server held ${watch.maxUnflushed()} bytes of unflushed output`);
    assert.ok(watch.maxUnflushed() <= PER_CONNECTION_OUTPUT, `server held ${watch.maxUnflushed()} bytes of unflushed output for one client`);
  } finally {
    watch.stop();
    client.destroy();
  }
});
