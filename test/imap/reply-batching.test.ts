// Replies to pipelined commands go out in batches, not one write per reply: a client pipelining
// thousands of small commands (or an attacker that never reads them) cost the server a system call
// per reply, and over loopback the kernel's work on the receiving queue with it, which starved every
// other connection. An interactive client still gets each reply at once (waiting for its next command
// flushes). Counted with Linux's per-process write system call counter, /proc/self/io (syscw): the
// server runs in this process, and nothing else here writes while the replies are produced.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { 'alice@example.org': 'secret' } });
});
after(async () => {
  await h.close();
});

async function writeSyscalls(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8');
  const m = /^syscw:\s*(\d+)$/m.exec(io);
  if (!m) throw new Error(`no syscw in /proc/self/io: ${io}`);
  return Number(m[1]);
}

test('2,000 pipelined NOOPs are answered in order with a few dozen writes, not one per reply', async () => {
  const c = await RawClient.connect(h.port);
  try {
    const n = 2000;
    const before = await writeSyscalls();
    c.write(Array.from({ length: n }, (_, i) => `n${i} NOOP\r\n`).join(''));
    const lines = await c.until(`n${n - 1}`, 60_000);
    const writes = (await writeSyscalls()) - before;
    const tagged = lines.filter((l) => /^n\d+ /.test(l));
    assert.equal(tagged.length, n);
    tagged.forEach((l, i) => assert.equal(l, `n${i} OK NOOP completed`));
    // About 40 KB of replies: a few 16 KiB batches, plus a flush whenever the server caught up with
    // the input read so far. One write per reply would be 2,000.
    assert.ok(writes < n / 10, `${writes} write system calls for ${n} replies`);
  } finally {
    c.close();
  }
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
