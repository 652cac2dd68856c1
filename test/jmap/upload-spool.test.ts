// JMAP uploads never sit wholly in memory: the request body goes to a spool file as it arrives, the
// process-wide count of arriving bytes held stays bounded while a large body trickles in over a raw
// socket, the store takes the file (blobId = sha256), and the blob downloads and imports byte-exact.
// A body cut off or over maxSizeUpload leaves no spool file; another account's blob is not imported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';
import { waitFor } from '../support/wait.js';
import { PARSE_PEAK_FACTOR, ingestMemoryStats, resetIngestMemoryPeaks } from '../../src/store/index.js';

const ALICE = 'alice@example.com';
const MAX_UPLOAD = 40 * 1024 * 1024;
/** The spool writer's buffer (128 KiB) plus one socket chunk, with room for pieces landing between samples. */
const MEMORY_BOUND = 512 * 1024;

let h: Harness;
let spoolDir: string;
/** JMAP account ids as the session gives them (opaque; the store keeps user names). */
let ALICE_ID: string;
let BOB_ID: string;
before(async () => {
  h = await startHarness({ config: { maxSizeUpload: MAX_UPLOAD } });
  spoolDir = join(h.dir, 'spool', 'jmap');
  ALICE_ID = await accountIdOf(h, ALICE);
  BOB_ID = await accountIdOf(h, 'bob@example.com');
});
after(async () => {
  await h.close();
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const spoolFiles = async (): Promise<string[]> => (await readdir(spoolDir)).filter((n) => n.endsWith('.spool'));
const spoolEmpties = (): Promise<true> => waitFor('the JMAP spool directory to be empty', async () => (await spoolFiles()).length === 0);

async function spoolFileSize(): Promise<number> {
  const [name] = await spoolFiles();
  if (name === undefined) return 0;
  return (await stat(join(spoolDir, name)).catch(() => ({ size: 0 }))).size;
}

function message(size: number, subject: string): Buffer {
  const head = `From: <a@b.example>\r\nTo: <${ALICE}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\n`;
  const line = `${'y'.repeat(70)}\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil(size / line.length)), 'latin1');
}

/** A raw HTTP/1.1 POST to /upload whose body the test writes itself. */
async function openUpload(headers: Record<string, string>): Promise<{ socket: net.Socket; send(b: Buffer): Promise<void>; response(): Promise<{ status: number; body: string }> }> {
  const url = new URL(h.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const lines = Object.entries({ Host: url.host, Authorization: h.basic(ALICE), Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`POST /upload/${ALICE_ID} HTTP/1.1\r\n${lines.join('')}\r\n`);
  return {
    socket,
    send: (b) => new Promise((resolve, reject) => socket.write(b, (err) => (err ? reject(err) : resolve()))),
    async response() {
      await ended;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      return { status, body: received.slice(received.indexOf('\r\n\r\n') + 4) };
    },
  };
}

test('a 24 MB upload sent slowly grows a spool file while arriving bytes held stay bounded; it downloads and imports byte-exact', async () => {
  const bytes = message(24 * 1024 * 1024, 'slow upload');
  const up = await openUpload({ 'Content-Type': 'message/rfc822', 'Content-Length': String(bytes.length) });
  resetIngestMemoryPeaks();
  let sampled = 0;
  const sizes: number[] = [];
  const piece = 256 * 1024;
  for (let off = 0; off < bytes.length; off += piece) {
    await up.send(bytes.subarray(off, off + piece));
    sampled = Math.max(sampled, ingestMemoryStats().arrivingBytes);
    if ((off / piece) % 16 === 8) sizes.push(await spoolFileSize());
  }
  const res = await up.response();
  assert.equal(res.status, 201, res.body);
  const blob = JSON.parse(res.body) as { blobId: string; size: number };
  assert.equal(blob.blobId, sha256(bytes));
  assert.equal(blob.size, bytes.length);
  assert.ok(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!), `spool file sizes ${sizes.join(', ')}`);
  // Socket buffers hold a few MB at most, so samples taken 4 MB apart see the file grow.
  assert.ok(new Set(sizes.filter((s) => s > 0)).size >= 3, `the spool file grew while the body arrived: ${sizes.join(', ')}`);
  const peak = ingestMemoryStats().peakArrivingBytes;
  assert.ok(sampled <= MEMORY_BOUND, `sampled ${sampled} bytes held`);
  assert.ok(peak > 0 && peak <= MEMORY_BOUND, `peak ${peak} bytes of arriving uploads held`);
  await spoolEmpties();

  const dl = await fetch(`${h.url}/download/${ALICE_ID}/${blob.blobId}/m.eml`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(dl.status, 200);
  assert.equal(sha256(Buffer.from(await dl.arrayBuffer())), blob.blobId);

  const inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  resetIngestMemoryPeaks();
  const r = (await call(h, [['Email/import', { accountId: ALICE_ID, emails: { big: { blobId: blob.blobId, mailboxIds: { [inbox]: true } } } }, 'i']])) as unknown as Array<[string, { created: Record<string, { id: string; blobId: string; size: number }> }, string]>;
  const created = r[0]![1].created.big!;
  assert.equal(created.blobId, blob.blobId);
  assert.equal(created.size, bytes.length);
  // Imported from the blob file, parsed within the ingest gate, charged at the parse's peak.
  assert.equal(ingestMemoryStats().peakParsingBytes, bytes.length * PARSE_PEAK_FACTOR);
  assert.equal(sha256((await h.store.readMessage(ALICE, created.id))!), blob.blobId);
});

test('an upload cut off mid-body leaves no spool file', async () => {
  const bytes = message(4 * 1024 * 1024, 'cut off');
  const up = await openUpload({ 'Content-Length': String(bytes.length) });
  await up.send(bytes.subarray(0, 2 * 1024 * 1024));
  await waitFor('part of the body in the spool', async () => (await spoolFileSize()) > 0);
  up.socket.destroy();
  await spoolEmpties();
});

test('a chunked upload over maxSizeUpload gets the limit problem and leaves no spool file', async () => {
  const up = await openUpload({ 'Transfer-Encoding': 'chunked' });
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  for (let sent = 0; sent <= MAX_UPLOAD; sent += chunk.length) await up.send(framed);
  await up.send(Buffer.from('0\r\n\r\n'));
  const res = await up.response();
  assert.equal(res.status, 400);
  assert.equal((JSON.parse(res.body) as { limit: string }).limit, 'maxSizeUpload');
  await spoolEmpties();
});

test('Email/import of another account’s upload is not found: invalidProperties (RFC 8621 §4.8)', async () => {
  const bytes = message(300 * 1024, 'alice only');
  const up = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE) }, body: bytes });
  const { blobId } = (await up.json()) as { blobId: string };
  await h.store.ensureAccount('bob@example.com');
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!.id;
  const r = (await call(
    h,
    [['Email/import', { accountId: BOB_ID, emails: { x: { blobId, mailboxIds: { [bobInbox]: true } } } }, 'i']],
    undefined,
    h.basic('bob@example.com'),
  )) as unknown as Array<[string, { notCreated: Record<string, { type: string }> }, string]>;
  assert.equal(r[0]![1].notCreated.x!.type, 'invalidProperties');
});
