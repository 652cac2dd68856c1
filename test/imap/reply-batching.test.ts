// Replies to pipelined commands go out in batches, not one write per reply: a client pipelining
// thousands of small commands (or an attacker that never reads them) cost the server a system call
// per reply, and over loopback the kernel's work on the receiving queue with it, which starved every
// other connection. An interactive client still gets each reply at once (waiting for its next command
// flushes). Counted as the writes the server hands its socket.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { watchServerSockets } from '../support/server-sockets.js';

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { 'alice@example.org': 'secret' } });
});
after(async () => {
  await h.close();
});

/**
 * Pipelines `n` commands (`command`, tagged `${tag}${i}`) on a new connection, after its greeting,
 * in one write, and resolves once every tagged reply has arrived in order (within `ms`). Every chunk
 * the server hands its socket meanwhile goes to `onServerWrite`.
 */
async function pipeline(n: number, tag: string, command: string, ms: number, onServerWrite: (chunk: unknown) => void): Promise<void> {
  const watch = watchServerSockets(h.port);
  const client = net.connect(h.port, '127.0.0.1');
  try {
    await withDeadline(new Promise((resolve) => client.once('connect', resolve)), 5000, 'connect');
    const server = await waitFor('the server side of the connection', () => watch.sockets.find((sock) => sock.remotePort === client.localPort));
    const last = `${tag}${n - 1} OK ${command} completed\r\n`;
    let text = '';
    const done = new Promise<void>((resolve) => {
      client.setEncoding('latin1');
      client.on('data', (chunk: string) => {
        text += chunk;
        if (text.endsWith(last)) resolve();
      });
    });
    // The greeting first, so that every write seen is a reply to the pipelined commands.
    await waitFor('the greeting', () => text.includes('\r\n'), 5000);
    const write = server.write.bind(server) as (...args: unknown[]) => boolean;
    (server as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      onServerWrite(args[0]);
      return write(...args);
    };
    client.write(Array.from({ length: n }, (_, i) => `${tag}${i} ${command}\r\n`).join(''));
    await withDeadline(done, ms, `all ${n} tagged replies`);
    const tagged = text.split('\r\n').filter((line) => line.startsWith(tag));
    assert.deepEqual(tagged, Array.from({ length: n }, (_, i) => `${tag}${i} OK ${command} completed`));
  } finally {
    watch.stop();
    client.destroy();
  }
}

test('2,000 pipelined NOOPs are answered in order with a few dozen writes, not one per reply', async () => {
  // Counted at the server's socket: every write() it is handed is at most one system call. (The
  // process-wide write counter of /proc/self/io also counted the thread pool's and workers' wake-ups,
  // which grow with the machine's load: 50 on a quiet machine, over 200 on a busy one.)
  const n = 2000;
  let writes = 0;
  await pipeline(n, 'n', 'NOOP', 60_000, () => writes++);
  // About 40 KB of replies: a few 16 KiB batches, plus a flush whenever the server caught up with
  // the input read so far. One write per reply would be 2,000.
  assert.ok(writes < n / 10, `${writes} socket writes for ${n} replies`);
});

test('an interactive client gets each reply without sending more (the wait for input flushes)', async () => {
  const c = await RawClient.connect(h.port);
  try {
    for (let i = 0; i < 3; i++) {
      c.write(`i${i} NOOP\r\n`);
      const lines = await c.until(`i${i}`);
      assert.equal(lines.at(-1), `i${i} OK NOOP completed`);
    }
  } finally {
    c.close();
  }
});

/** Buffer's shared pool slab: a reply built with Buffer.from(string) lives in one of these. */
const POOL_SLAB = 8 * 1024;

test('replies to a pipelining client are gathered in a reused buffer, not one Buffer per reply (issue #15)', async (t) => {
  // Replies held as many small Buffers over the turns a batch takes to fill outlived the young
  // generation and piled up as garbage only a full collection frees: with 200 clients pipelining
  // without reading, tens of MB. What the server writes shows how its replies were held: how many
  // bytes went out of each distinct ArrayBuffer (a pool slab holds at most 8 KiB of replies).
  const backings = new Set<ArrayBufferLike>();
  let bytes = 0;
  const n = 10_000;
  await pipeline(n, 't', 'CAPABILITY', 120_000, (chunk) => {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk);
    } else if (chunk instanceof Uint8Array) {
      backings.add(chunk.buffer);
      bytes += chunk.length;
    }
  });
  assert.ok(bytes > n * 100, `${bytes} bytes of replies written`);
  // A few buffers per read of the client's input (a batch being filled, one being sent), each
  // carrying megabytes; one pool slab per few replies would carry at most POOL_SLAB bytes each.
  const perBuffer = bytes / Math.max(1, backings.size);
  t.diagnostic(`${backings.size} distinct buffers for ${bytes} bytes of replies`);
  assert.ok(perBuffer >= 8 * POOL_SLAB, `${backings.size} distinct buffers for ${bytes} bytes of replies (${perBuffer.toFixed(0)} bytes each)`);
});
