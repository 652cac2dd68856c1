// Kill -9 safety of spooled APPENDs: a large APPEND acknowledged with OK survives SIGKILL of the
// server byte-exact (the spool file was fsynced, renamed into the blob store and the directory
// fsynced before the row was committed and OK sent), while the literal of an APPEND still arriving
// when the process died stays behind as a spool file and is removed when the server starts again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from './raw-client.js';
import { startServerProcess } from './restart-server.js';
import { waitFor } from '../support/wait.js';

const USER = 'erin@example.org';
const PASS = 'pw';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function bigMessage(size: number, subject: string): Buffer {
  const head = `From: <a@b.example>\r\nSubject: ${subject}\r\n\r\n`;
  return Buffer.from(head + `${'k'.repeat(62)}\r\n`.repeat(Math.ceil(size / 64)), 'latin1');
}

test('an acknowledged spooled APPEND survives SIGKILL byte-exact; a half-received literal is swept at restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-append-kill-'));
  // restart-child.ts uses the IMAP test configuration: listener "imap-test" under <dir>/spool/imap.
  const spoolDir = join(dir, 'spool', 'imap', 'imap-test');
  const spoolFiles = async (): Promise<string[]> => (await readdir(spoolDir).catch(() => [])).filter((n) => n.endsWith('.spool'));
  try {
    const first = await startServerProcess(dir, USER, PASS);
    const message = bigMessage(3 * 1024 * 1024, 'survives kill');
    const c = await RawClient.loggedIn(first.port, USER, PASS);
    c.write(Buffer.concat([Buffer.from(`a APPEND INBOX {${message.length}+}\r\n`), message, Buffer.from('\r\n')]));
    const ok = (await c.until('a', 30_000)).at(-1)!;
    assert.match(ok, /^a OK \[APPENDUID \d+ 1\]/);
    const cut = await RawClient.loggedIn(first.port, USER, PASS);
    cut.write(`b APPEND INBOX {${message.length}}\r\n`);
    assert.match(await cut.readLine(), /^\+ /);
    await cut.send(message.subarray(0, 1024 * 1024));
    await waitFor('the half-received literal in the spool', async () => (await spoolFiles()).length === 1);
    await first.kill();
    c.close();
    cut.close();
    assert.equal((await spoolFiles()).length, 1, 'the dead process left its spool file');

    const second = await startServerProcess(dir, USER, PASS);
    try {
      assert.deepEqual(await spoolFiles(), [], 'start-up removed the unacknowledged literal');
      const r = await RawClient.loggedIn(second.port, USER, PASS);
      assert.match((await r.command('s', 'SELECT INBOX')).join('\n'), /\* 1 EXISTS/);
      r.write('f UID FETCH 1 BODY.PEEK[]\r\n');
      const head = await r.readLine(30_000);
      const size = Number(/\{(\d+)\}$/.exec(head)?.[1]);
      assert.equal(size, message.length, head);
      let body = '';
      while (body.length < size) body += (await r.readLine(30_000)) + '\r\n';
      assert.match((await r.until('f', 30_000)).at(-1)!, /^f OK/);
      assert.equal(sha256(Buffer.from(body.slice(0, size), 'latin1')), sha256(message));
      r.close();
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
