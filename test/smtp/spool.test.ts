// Messages arrive through a spool file, never wholly in memory: a session holds a bounded number of
// bytes whatever the message size (DATA or BDAT, sent slowly or all at once), the message reaches the
// store byte-exact, an oversize one gets 552 with nothing stored, and the spool file goes whenever the
// transaction ends (delivered, refused, RSET, client gone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, startHarness, type SmtpHarness } from './harness.js';
import { waitFor } from '../support/wait.js';
import type { MailStore } from '../../src/store/types.js';
import { SpoolDir, PARSE_PEAK_FACTOR, ingestMemoryStats, resetIngestMemoryPeaks } from '../../src/store/index.js';
import { SpooledMessage } from '../../src/store/spool/spooled.js';
import { BlobFiles } from '../../src/store/blobs.js';

const BOB = `bob@${DOMAIN}`;
/** What a session may hold for input and message data (issue #15: aim ≤ 256 KiB). */
const SESSION_BOUND = 256 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;

let h: SmtpHarness;
before(async () => {
  h = await startHarness({ startWorker: false, config: { maxMessageSize: MAX_MESSAGE } });
});
after(async () => {
  await h.close();
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A message of about `size` bytes as the client sends it (dot-stuffed) and as it must be stored
 * (un-stuffed). Every 7th line starts with a dot, so un-stuffing runs across slice boundaries.
 */
function bigMessage(size: number, subject: string): { wire: Buffer; stored: Buffer } {
  const head = `From: <a@b.example>\r\nTo: <${BOB}>\r\nSubject: ${subject}\r\n\r\n`;
  const lines: string[] = [];
  let length = head.length;
  for (let i = 0; length < size; i++) {
    const line = `${i % 7 === 0 ? '.' : ''}line ${i} ${'x'.repeat(60)}\r\n`;
    lines.push(line);
    length += line.length;
  }
  const body = lines.join('');
  const stored = Buffer.from(head + body, 'latin1');
  const wire = Buffer.from(head + body.replace(/^\./gm, '..'), 'latin1');
  return { wire, stored };
}

/** The newest message in Bob's INBOX, raw. */
async function newestInbox(store: MailStore): Promise<Buffer | undefined> {
  const inbox = await store.findMailboxByRole(BOB, 'inbox');
  if (!inbox) return undefined;
  const snap = await store.snapshot(BOB, inbox.id);
  const last = snap.messages.at(-1);
  return last ? ((await store.readMessage(BOB, last.emailId)) ?? undefined) : undefined;
}

async function inboxCount(store: MailStore): Promise<number> {
  const inbox = await store.findMailboxByRole(BOB, 'inbox');
  return inbox ? (await store.snapshot(BOB, inbox.id)).messages.length : 0;
}

async function transaction(c: RawSmtpClient): Promise<void> {
  assert.equal((await c.command('EHLO spool.test')).code, 250);
  assert.equal((await c.command('MAIL FROM:<a@b.example>')).code, 250);
  assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
}

/** Writes `bytes` in `piece`-sized writes, each handed to the kernel before the next; calls `each` after every write. */
async function sendInPieces(c: RawSmtpClient, bytes: Buffer, piece: number, each: () => void): Promise<void> {
  for (let off = 0; off < bytes.length; off += piece) {
    await c.send(bytes.subarray(off, off + piece));
    each();
  }
}

const spoolFiles = (): Promise<string[]> => h.server.spool.files();

/** The spool is empty again (files are removed after the reply, so await it). */
const spoolEmpties = (): Promise<true> => waitFor('the spool directory to be empty', async () => (await spoolFiles()).length === 0);

test('a 40 MB DATA sent in pieces: the session holds ≤ 256 KiB throughout and the message is stored byte-exact', async () => {
  const { wire, stored } = bigMessage(40 * 1024 * 1024, 'forty megabytes');
  const c = (await RawSmtpClient.connect(h.port)).client;
  await transaction(c);
  assert.equal((await c.command('DATA')).code, 354);
  resetIngestMemoryPeaks();
  let sampledMax = 0;
  let sawSpoolFile = false;
  await sendInPieces(c, wire, 256 * 1024, () => {
    sampledMax = Math.max(sampledMax, h.server.bufferStats().bufferedBytes);
  });
  sawSpoolFile = (await spoolFiles()).length === 1;
  c.write('.\r\n');
  const r = await c.read();
  assert.equal(r.code, 250, r.text);
  assert.ok(sawSpoolFile, 'the unfinished message was in a spool file');
  assert.ok(sampledMax <= SESSION_BOUND, `sampled ${sampledMax} bytes buffered`);
  const peak = h.server.bufferStats().peakSessionBytes;
  assert.ok(peak > 0 && peak <= SESSION_BOUND, `peak ${peak} bytes buffered by one session`);
  // Process-wide, spool writers held no more (delivery's copy behind the trace lines included).
  const arriving = ingestMemoryStats().peakArrivingBytes;
  assert.ok(arriving > 0 && arriving <= SESSION_BOUND, `peak ${arriving} bytes of arriving messages held`);
  const got = (await newestInbox(h.store))!;
  // The store keeps the message after the Return-Path and Received: lines delivery prepends.
  assert.equal(sha256(got.subarray(got.length - stored.length)), sha256(stored));
  assert.equal(got.length - stored.length, got.indexOf('From: <a@b.example>'));
  await spoolEmpties();
  assert.equal((await c.command('QUIT')).code, 221);
});

test('an 8 MB message for two local users is stored once, from the spool file, and parsed within the ingest gate', async () => {
  const ALICE = `alice@${DOMAIN}`;
  // Delivery parses each copy from its file by position: nothing reads the message back whole,
  // neither from the spool (first copy) nor from the blob file (second copy).
  const wholeReads: string[] = [];
  const spooledRead = SpooledMessage.prototype.read;
  const blobRead = BlobFiles.prototype.read;
  SpooledMessage.prototype.read = function (this: SpooledMessage) {
    wholeReads.push(`spool file of ${this.size} bytes`);
    return spooledRead.call(this);
  };
  BlobFiles.prototype.read = function (this: BlobFiles, hash, range) {
    if (!range) wholeReads.push(`blob ${hash}`);
    return blobRead.call(this, hash, range);
  };
  const { wire, stored } = bigMessage(8 * 1024 * 1024, 'two local recipients');
  const c = (await RawSmtpClient.connect(h.port)).client;
  assert.equal((await c.command('EHLO spool.test')).code, 250);
  assert.equal((await c.command('MAIL FROM:<a@b.example>')).code, 250);
  assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
  assert.equal((await c.command(`RCPT TO:<${ALICE}>`)).code, 250);
  assert.equal((await c.command('DATA')).code, 354);
  resetIngestMemoryPeaks();
  await sendInPieces(c, wire, 256 * 1024, () => undefined);
  c.write('.\r\n');
  assert.equal((await c.read()).code, 250);
  const emailOf = async (user: string): Promise<{ blobId: string; emailId: string }> => {
    const inbox = (await h.store.findMailboxByRole(user, 'inbox'))!;
    const last = (await h.store.snapshot(user, inbox.id)).messages.at(-1)!;
    const [meta] = await h.store.getEmails(user, [last.emailId]);
    return { blobId: meta!.blobId, emailId: last.emailId };
  };
  const bob = await emailOf(BOB);
  const alice = await emailOf(ALICE);
  assert.equal(bob.blobId, alice.blobId, 'one blob for both copies');
  assert.deepEqual(wholeReads, [], 'no whole read-back while delivering');
  SpooledMessage.prototype.read = spooledRead;
  BlobFiles.prototype.read = blobRead;
  const got = (await h.store.readMessage(ALICE, alice.emailId))!;
  assert.equal(sha256(got.subarray(got.length - stored.length)), sha256(stored));
  // Each copy was parsed from its file inside the gate, charged at the parse's peak; nothing else
  // read the message whole.
  const stats = ingestMemoryStats();
  assert.equal(stats.peakParsingBytes, got.length * PARSE_PEAK_FACTOR);
  assert.ok(stats.peakArrivingBytes <= SESSION_BOUND, `peak ${stats.peakArrivingBytes} bytes of arriving messages held`);
  await spoolEmpties();
  c.close();
});

test('a 16 MB BDAT chunk written all at once: reading stops while the session writes, and the message is stored byte-exact', async () => {
  const { stored } = bigMessage(16 * 1024 * 1024, 'bdat at once');
  const split = 5 * 1024 * 1024 + 3;
  const c = (await RawSmtpClient.connect(h.port)).client;
  await transaction(c);
  c.write(Buffer.concat([Buffer.from(`BDAT ${split}\r\n`), stored.subarray(0, split)]));
  assert.match((await c.read()).text, new RegExp(`^250 2\\.0\\.0 ${split} octets`));
  // The rest in one write: the client's socket holds it, not the server.
  c.write(Buffer.concat([Buffer.from(`BDAT ${stored.length - split} LAST\r\n`), stored.subarray(split)]));
  assert.equal((await c.read()).code, 250);
  const peak = h.server.bufferStats().peakSessionBytes;
  assert.ok(peak > 0 && peak <= SESSION_BOUND, `peak ${peak} bytes buffered by one session`);
  const got = (await newestInbox(h.store))!;
  assert.equal(sha256(got.subarray(got.length - stored.length)), sha256(stored));
  await spoolEmpties();
  c.close();
});

test('an oversize DATA gets 552 after the terminator, nothing is stored and the spool file is removed', async () => {
  const small = await startHarness({ startWorker: false, config: { maxMessageSize: 1024 * 1024 } });
  try {
    const before = await inboxCount(small.store);
    const { wire } = bigMessage(3 * 1024 * 1024, 'too big');
    const c = (await RawSmtpClient.connect(small.port)).client;
    await transaction(c);
    assert.equal((await c.command('DATA')).code, 354);
    await sendInPieces(c, wire, 64 * 1024, () => undefined);
    c.write('.\r\n');
    assert.match((await c.read()).text, /^552 5\.3\.4/);
    assert.ok(small.server.bufferStats().peakSessionBytes <= SESSION_BOUND);
    assert.equal(await inboxCount(small.store), before);
    await waitFor('the spool directory to be empty', async () => (await small.server.spool.files()).length === 0);
    // The session goes on.
    assert.equal((await c.command('NOOP')).code, 250);
    c.close();
  } finally {
    await small.close();
  }
});

test('an oversize BDAT sequence gets 552, nothing is stored and the spool file is removed', async () => {
  const small = await startHarness({ startWorker: false, config: { maxMessageSize: 1024 * 1024 } });
  try {
    const before = await inboxCount(small.store);
    const chunk = Buffer.alloc(700 * 1024, 0x61);
    const c = (await RawSmtpClient.connect(small.port)).client;
    await transaction(c);
    c.write(Buffer.concat([Buffer.from(`BDAT ${chunk.length}\r\n`), chunk]));
    assert.equal((await c.read()).code, 250);
    assert.equal((await small.server.spool.files()).length, 1, 'the first chunk is spooled');
    c.write(Buffer.concat([Buffer.from(`BDAT ${chunk.length} LAST\r\n`), chunk]));
    assert.match((await c.read()).text, /^552 5\.3\.4/);
    assert.equal(await inboxCount(small.store), before);
    await waitFor('the spool directory to be empty', async () => (await small.server.spool.files()).length === 0);
    assert.ok(small.server.bufferStats().peakSessionBytes <= SESSION_BOUND);
    c.close();
  } finally {
    await small.close();
  }
});

test('RSET after BDAT chunks removes their spool file', async () => {
  const c = (await RawSmtpClient.connect(h.port)).client;
  await transaction(c);
  const chunk = Buffer.alloc(100 * 1024, 0x62);
  c.write(Buffer.concat([Buffer.from(`BDAT ${chunk.length}\r\n`), chunk]));
  assert.equal((await c.read()).code, 250);
  assert.equal((await spoolFiles()).length, 1);
  assert.equal((await c.command('RSET')).code, 250);
  await spoolEmpties();
  c.close();
});

test('a client that disconnects in the middle of DATA leaves no spool file and nothing stored', async () => {
  const before = await inboxCount(h.store);
  const c = (await RawSmtpClient.connect(h.port)).client;
  await transaction(c);
  assert.equal((await c.command('DATA')).code, 354);
  await c.send(bigMessage(2 * 1024 * 1024, 'cut off').wire);
  await waitFor('the unfinished message in the spool', async () => (await spoolFiles()).length === 1);
  c.close();
  await c.closed;
  await spoolEmpties();
  await waitFor('the session to end', () => h.server.bufferStats().sessions === 0);
  assert.equal(await inboxCount(h.store), before);
});

test('start-up removes spool files a crashed run left behind, and nothing else', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-spool-'));
  try {
    await writeFile(join(dir, 'l5x2-0a1b2c3d4e5f.spool'), 'Subject: never acknowledged\r\n');
    await writeFile(join(dir, 'operator-notes.txt'), 'keep me');
    const spool = new SpoolDir(dir);
    assert.equal((await spool.files()).length, 1);
    await spool.prepare();
    assert.deepEqual(await spool.files(), []);
    assert.deepEqual(await readdir(dir), ['operator-notes.txt']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
