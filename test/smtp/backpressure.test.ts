// Output back-pressure over a real socket: a client that pipelines commands and never reads our
// replies gets no more replies queued past the network edge's high-water mark (the session flushes
// and waits before its next command, as IMAP does); once it reads, every command is answered in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHarness, type SmtpHarness } from './harness.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { watchServerSockets } from '../support/server-sockets.js';
import { OUTPUT_HIGH_WATER } from '../../src/net/index.js';

let h: SmtpHarness;
before(async () => {
  h = await startHarness({ startWorker: false });
});
after(async () => {
  await h.close();
});

/**
 * What the server may hold beyond the mark: the replies collected since its last write (a batch of
 * 16 KiB) and the one command's reply that crossed it. Far below what one 64 KiB read of pipelined
 * EHLOs asks for (some 1.5 MB of replies).
 */
const SLACK = 32 * 1024;

/** Reads replies from a paused socket once resumed; resolves with their lines as they arrive. */
function replyLines(client: net.Socket, onLine: (line: string) => boolean | Error): Promise<void> {
  let tail = '';
  return new Promise<void>((resolve, reject) => {
    client.setEncoding('latin1');
    client.on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\r\n');
      tail = parts.pop()!;
      for (const line of parts) {
        const verdict = onLine(line);
        if (verdict instanceof Error) return reject(verdict);
        if (verdict) return resolve();
      }
    });
    client.once('close', () => reject(new Error('connection closed before every reply arrived')));
    client.resume();
  });
}

test('a client that pipelines 90,000 EHLO and NOOP and never reads: the server holds at most the high-water mark, then answers all in order', async () => {
  const watch = watchServerSockets(h.port);
  const client = net.connect(h.port, '127.0.0.1');
  try {
    await withDeadline(new Promise((resolve) => client.once('connect', resolve)), 5000, 'connect');
    client.pause();
    // EHLO answers 8 bytes with some 200: 90,000 of them (under the 100,000 command limit) are far more
    // replies than the kernel's socket buffers take, so the server must stall on them.
    const n = 90_000;
    const commands: string[] = [];
    for (let i = 0; i < n; i++) commands.push(i % 10 === 9 ? 'NOOP\r\n' : `EHLO c${i}\r\n`);
    client.write(commands.join(''));
    const server = await waitFor('the server side of the connection', () => watch.sockets.find((s) => s.remotePort === client.localPort));
    await waitFor('the server to stop reading the client', () => server.writableLength > OUTPUT_HIGH_WATER && server.isPaused(), 60_000);

    // Now read everything: the greeting, then one reply per command, in the order sent.
    let next = -1;
    const done = replyLines(client, (line) => {
      const code = line.slice(0, 3);
      const last = line[3] !== '-';
      if (next === -1) {
        if (!line.startsWith('220 ')) return new Error(`expected the greeting, got ${JSON.stringify(line)}`);
        next = 0;
        return false;
      }
      if (code !== '250') return new Error(`command ${next}: expected 250, got ${JSON.stringify(line)}`);
      const isNoop = next % 10 === 9;
      if (isNoop && !/^250 2\.0\.0 /.test(line)) return new Error(`command ${next} (NOOP): got ${JSON.stringify(line)}`);
      // The first line of an EHLO reply greets the name it was given: replies are in order.
      if (!isNoop && line.includes(' Hello ') && !line.includes(` Hello c${next} `)) return new Error(`command ${next} (EHLO c${next}): got ${JSON.stringify(line)}`);
      if (!last) return false;
      next++;
      return next === n;
    });
    await withDeadline(done, 240_000, `replies to all ${n} commands`);
    assert.ok(watch.maxUnflushed() <= OUTPUT_HIGH_WATER + SLACK, `server held ${watch.maxUnflushed()} bytes of unflushed output`);

    // The session goes on normally.
    client.removeAllListeners('data');
    const noop = replyLines(client, (line) => (line.startsWith('250 ') ? true : new Error(`NOOP after the flood: ${line}`)));
    client.write('NOOP\r\n');
    await withDeadline(noop, 10_000, 'NOOP after the flood');
  } finally {
    watch.stop();
    client.destroy();
  }
});
