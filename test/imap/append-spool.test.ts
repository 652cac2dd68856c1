// APPEND message literals never sit wholly in memory after login: their bytes go to a spool file as
// they arrive (synchronising and LITERAL+ literals, MULTIAPPEND, CATENATE TEXT parts, literal8), the
// process-wide count of arriving bytes held in memory stays bounded while a large literal trickles
// in, the store takes the file, and the message FETCHes back byte-exact. A literal cut off by the
// client leaves no spool file; one announced over the limit is refused before a byte is read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { waitFor } from '../support/wait.js';
import { ingestMemoryStats, resetIngestMemoryPeaks } from '../../src/store/index.js';

const USER = 'alice@example.org';
const PASS = 'secret';
const LITERAL_LIMIT = 48 * 1024 * 1024;
/**
 * What arriving APPEND data may hold in memory at once, process-wide, with one client sending: the
 * spool writer's buffer (128 KiB) plus one socket chunk (64 KiB), with room for the test's pieces
 * landing between two samples.
 */
const MEMORY_BOUND = 512 * 1024;

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { [USER]: PASS }, config: { maxLiteralSize: LITERAL_LIMIT } });
});
after(async () => {
  await h.close();
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A message of about `size` bytes: headers, then lines of text. */
function bigMessage(size: number, subject: string): Buffer {
  const head = `From: <a@b.example>\r\nTo: <${USER}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\n`;
  const lines: string[] = [];
  let length = head.length;
  for (let i = 0; length < size; i++) {
    const line = `line ${i} ${'x'.repeat(60)}\r\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(head + lines.join(''), 'latin1');
}

const spoolFiles = (): Promise<string[]> => h.server.spool.files();
const spoolEmpties = (): Promise<true> => waitFor('the IMAP spool directory to be empty', async () => (await spoolFiles()).length === 0);

/** Size of the one spool file present now (0 when none). */
async function spoolFileSize(): Promise<number> {
  const [name] = await spoolFiles();
  if (name === undefined) return 0;
  return (await stat(join(h.server.spool.dir, name)).catch(() => ({ size: 0 }))).size;
}

/** BODY[] of UID `uid` in INBOX, as bytes. */
async function fetchBody(c: RawClient, uid: number): Promise<Buffer> {
  await c.command('s', 'SELECT INBOX');
  c.write(`f UID FETCH ${uid} BODY.PEEK[]\r\n`);
  const first = await c.readLine(30_000);
  const m = /\{(\d+)\}$/.exec(first);
  assert.ok(m, `FETCH answered ${first}`);
  const size = Number(m[1]);
  // The raw client keeps latin1 text: read the literal by length through its line reader.
  let body = '';
  while (body.length < size) body += (await c.readLine(30_000)) + '\r\n';
  const rest = await c.until('f', 30_000);
  assert.match(rest.at(-1)!, /^f OK/);
  return Buffer.from(body.slice(0, size), 'latin1');
}

function appendUid(reply: string): number {
  const m = /APPENDUID \d+ (\d+)/.exec(reply);
  assert.ok(m, `no APPENDUID in ${reply}`);
  return Number(m[1]);
}

test('a 24 MB APPEND literal sent slowly grows a spool file while arriving bytes held stay bounded, and FETCHes back byte-exact', async () => {
  const message = bigMessage(24 * 1024 * 1024, 'slow large append');
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(`a APPEND INBOX (\\Seen) {${message.length}}\r\n`);
  assert.match(await c.readLine(), /^\+ /);
  resetIngestMemoryPeaks();
  let sampled = 0;
  const sizes: number[] = [];
  const piece = 256 * 1024;
  for (let off = 0; off < message.length; off += piece) {
    await c.send(message.subarray(off, off + piece));
    sampled = Math.max(sampled, ingestMemoryStats().arrivingBytes);
    if ((off / piece) % 16 === 8) sizes.push(await spoolFileSize());
  }
  c.write('\r\n');
  const reply = (await c.until('a', 60_000)).at(-1)!;
  assert.match(reply, /^a OK \[APPENDUID /);
  assert.ok(sizes.length > 4 && sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!), `spool file sizes ${sizes.join(', ')}`);
  // Socket buffers hold a few MB at most, so samples taken 4 MB apart see the file grow.
  assert.ok(new Set(sizes.filter((s) => s > 0)).size >= 3, `the spool file grew while the literal arrived: ${sizes.join(', ')}`);
  const peak = ingestMemoryStats().peakArrivingBytes;
  assert.ok(sampled <= MEMORY_BOUND, `sampled ${sampled} bytes held`);
  assert.ok(peak > 0 && peak <= MEMORY_BOUND, `peak ${peak} bytes of arriving messages held`);
  await spoolEmpties();
  const got = await fetchBody(c, appendUid(reply));
  assert.equal(got.length, message.length);
  assert.equal(sha256(got), sha256(message));
  c.close();
});

test('a client that disconnects in the middle of an APPEND literal leaves no spool file and nothing stored', async () => {
  const inbox = (await h.store.findMailboxByRole(USER, 'inbox'))!;
  const before = (await h.store.snapshot(USER, inbox.id)).messages.length;
  const message = bigMessage(4 * 1024 * 1024, 'cut off');
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(`a APPEND INBOX {${message.length}}\r\n`);
  assert.match(await c.readLine(), /^\+ /);
  await c.send(message.subarray(0, 2 * 1024 * 1024));
  await waitFor('part of the literal in the spool', async () => (await spoolFileSize()) > 0);
  c.close();
  await spoolEmpties();
  assert.equal((await h.store.snapshot(USER, inbox.id)).messages.length, before);
});

test('LITERAL+ and MULTIAPPEND: several large non-synchronising literals are spooled and stored in one go', async () => {
  const one = bigMessage(3 * 1024 * 1024, 'multi one');
  const two = bigMessage(2 * 1024 * 1024 + 17, 'multi two');
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(Buffer.concat([Buffer.from(`m APPEND INBOX {${one.length}+}\r\n`), one, Buffer.from(` (\\Flagged) {${two.length}+}\r\n`), two, Buffer.from('\r\n')]));
  const reply = (await c.until('m', 60_000)).at(-1)!;
  const m = /^m OK \[APPENDUID \d+ (\d+):(\d+)\]/.exec(reply);
  assert.ok(m, reply);
  await spoolEmpties();
  assert.equal(sha256(await fetchBody(c, Number(m[1]))), sha256(one));
  assert.equal(sha256(await fetchBody(c, Number(m[2]))), sha256(two));
  c.close();
});

test('CATENATE: a spooled TEXT part and a URL to a stored message are assembled byte-exact', async () => {
  const stored = bigMessage(1024 * 1024, 'catenate source');
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(Buffer.concat([Buffer.from(`p APPEND INBOX {${stored.length}+}\r\n`), stored, Buffer.from('\r\n')]));
  const uid = appendUid((await c.until('p', 30_000)).at(-1)!);
  const uidValidity = (await h.store.findMailboxByRole(USER, 'inbox'))!.uidValidity;
  const text = bigMessage(700 * 1024, 'catenate text');
  c.write(Buffer.concat([
    Buffer.from(`c APPEND INBOX CATENATE (TEXT {${text.length}+}\r\n`),
    text,
    Buffer.from(` URL "/INBOX;UIDVALIDITY=${uidValidity}/;UID=${uid}/;PARTIAL=100.500000")\r\n`),
  ]));
  const reply = (await c.until('c', 30_000)).at(-1)!;
  assert.match(reply, /^c OK \[APPENDUID /);
  await spoolEmpties();
  const got = await fetchBody(c, appendUid(reply));
  assert.equal(sha256(got), sha256(Buffer.concat([text, stored.subarray(100, 500_100)])));
  c.close();
});

test('a literal8 with NUL bytes that was spooled is stored with that part in base64', async () => {
  const binary = Buffer.alloc(400 * 1024, 0);
  for (let i = 0; i < binary.length; i++) binary[i] = i % 251;
  const head = Buffer.from(`From: <a@b.example>\r\nSubject: binary\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n`, 'latin1');
  const message = Buffer.concat([head, binary]);
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(Buffer.concat([Buffer.from(`b APPEND INBOX ~{${message.length}+}\r\n`), message, Buffer.from('\r\n')]));
  const reply = (await c.until('b', 30_000)).at(-1)!;
  assert.match(reply, /^b OK \[APPENDUID /);
  await spoolEmpties();
  const got = await fetchBody(c, appendUid(reply));
  assert.match(got.toString('latin1'), /Content-Transfer-Encoding: base64\r\n/);
  assert.ok(!got.includes(0));
  c.write(`d UID FETCH ${appendUid(reply)} BINARY.SIZE[1]\r\n`);
  const size = (await c.until('d', 30_000)).join('\n');
  assert.match(size, new RegExp(`BINARY\\.SIZE\\[1\\] ${binary.length}`));
  c.close();
});

test('an APPEND literal announced over the limit is refused with NO [TOOBIG] before any byte is read', async () => {
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  c.write(`t APPEND INBOX {${LITERAL_LIMIT + 1}}\r\n`);
  assert.match(await c.readLine(), /^t NO \[TOOBIG\]/);
  assert.deepEqual(await spoolFiles(), []);
  assert.equal((await c.command('n', 'NOOP')).at(-1), 'n OK NOOP completed');
  c.close();
});
