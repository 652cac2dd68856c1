// A burst of 2,000 connects reaching a listener while its process is busy is held by the kernel's
// listen queue and served once the process gets to it: no connection is reset or refused. The
// listener runs in a child process that stops running its event loop (no accept()) for the whole
// burst, so every connect has to wait in the backlog: with Node's default backlog (511) the connects
// past it would not complete until the server accepted again (the kernel drops their SYNs), and with
// a backlog below the burst on a kernel set to abort on overflow they would be reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDeadline } from '../support/wait.js';

const BURST = 2000;

test(`a burst of ${BURST} connects while the server is busy: every one is queued, then served, none reset`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-burst-'));
  const child = fork(fileURLToPath(new URL('./burst-listener-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const sockets: net.Socket[] = [];
  try {
    const [{ port }] = (await withDeadline(once(child, 'message'), 30_000, 'the listener to start')) as [{ port: number }];
    const flag = join(dir, 'go');
    const blocked = withDeadline(once(child, 'message'), 30_000, 'the listener process to block');
    child.send({ block: flag });
    assert.equal((await blocked)[0], 'blocked');

    const errors: string[] = [];
    const connected: Array<Promise<void>> = [];
    const greeted: Array<Promise<void>> = [];
    for (let i = 0; i < BURST; i++) {
      const s = net.connect(port, '127.0.0.1');
      sockets.push(s);
      s.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
      connected.push(new Promise((resolve) => s.once('connect', () => resolve())));
      greeted.push(
        new Promise((resolve) => {
          let text = '';
          s.on('data', (d: Buffer) => {
            text += d.toString('latin1');
            if (text.includes('\n')) resolve();
          });
          s.once('close', () => resolve());
        }),
      );
    }
    // The handshake completes in the kernel only for connections the listen queue has room for.
    await withDeadline(Promise.all(connected), 60_000, `all ${BURST} connects to complete while the server accepts nothing (errors: ${errors.join(', ')})`);
    assert.deepEqual(errors, []);

    await writeFile(flag, '');
    await withDeadline(Promise.all(greeted), 60_000, `every connection to be accepted and greeted`);
    assert.deepEqual(errors, [], 'no connection was reset or refused');
  } finally {
    for (const s of sockets) s.destroy();
    child.send('stop');
    await withDeadline(once(child, 'exit'), 10_000, 'the listener process to exit').catch(() => child.kill());
    await rm(dir, { recursive: true, force: true });
  }
});
