// analyseSource (src/store/scratch-parse.ts), the parse JMAP Email/parse runs over any blob: a
// source up to the parser's 256 KiB window is parsed in memory, a larger one through a scratch file
// that is removed afterwards; both give the analysis of the bytes in memory, and a source whose
// bytes go away (short, or BytesGoneError) is null, never a parse of what arrived.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage } from '../../src/mime/parse.js';
import { analyseSource } from '../../src/store/scratch-parse.js';
import { WINDOW_BYTES } from '../../src/store/message-file.js';
import { BytesGoneError, type ByteSource } from '../../src/store/api/byte-source.js';
import { SpoolDir } from '../../src/store/spool/index.js';
import { waitFor } from '../support/wait.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-scratch-parse-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function message(bodyBytes: number): Buffer {
  const line = 'a line of the body, long enough to count\r\n';
  return Buffer.from(`From: <a@example.com>\r\nSubject: sized\r\nContent-Type: text/plain\r\n\r\n${line.repeat(Math.ceil(bodyBytes / line.length))}`, 'latin1');
}

/** `bytes` in 64 KiB chunks, claiming `size` bytes (a source cut short claims more than it yields). */
function source(bytes: Buffer, size = bytes.length, fail = false): ByteSource {
  return {
    size,
    async *chunks() {
      for (let at = 0; at < bytes.length; at += 65536) yield bytes.subarray(at, at + 65536);
      if (fail) throw new BytesGoneError('gone in a test');
    },
  };
}

for (const [name, bytes] of [['in memory', message(WINDOW_BYTES / 2)], ['through a scratch file', message(3 * WINDOW_BYTES)]] as const) {
  test(`a source parsed ${name} gives the analysis of its bytes in memory; gone or short is null`, async () => {
    assert.deepEqual(await analyseSource(source(bytes), dir), parseMessage(bytes));
    assert.equal(await analyseSource(source(bytes, bytes.length + 1), dir), null, 'short');
    assert.equal(await analyseSource(source(bytes, bytes.length - 1), dir), null, 'long');
    assert.equal(await analyseSource(source(bytes.subarray(0, 70000), bytes.length, true), dir), null, 'gone');
    assert.deepEqual(await readdir(dir), [], 'no scratch file left');
  });
}

test('a scratch file a crash left in a spool directory is removed by its start-up sweep', async () => {
  const spool = new SpoolDir(await mkdtemp(join(dir, 'spool-')));
  const bytes = message(2 * WINDOW_BYTES);
  // A parse stopped mid-copy, as a kill -9 would leave it: its scratch file is in the spool directory.
  let stall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (stall = resolve));
  let wroteFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (wroteFirst = resolve));
  const chunks = async function* (): AsyncGenerator<Buffer> {
    yield bytes.subarray(0, 65536);
    wroteFirst();
    await stalled;
  };
  const parsing = analyseSource({ size: bytes.length, chunks }, spool.dir);
  await first;
  await waitFor('the scratch file to exist', async () => (await readdir(spool.dir)).length === 1, 5000);
  await spool.prepare();
  assert.deepEqual(await readdir(spool.dir), [], 'the sweep at start removes it');
  stall();
  assert.equal(await parsing, null, 'the stalled parse ended short');
});
