// FETCH serves message bytes streamed from the store (issue #19), over real sockets, on SQLite and on
// PostgreSQL: a message of several MiB comes out byte for byte (BODY[], partial ranges across the
// store's 256 KiB chunks, BINARY of a base64 and a quoted-printable part with BINARY.SIZE) while the
// store refuses every whole-message read (readMessage/readBlob without a small range);
// a message whose bytes vanish mid-literal ends the connection instead of sending a short literal.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startImap, type ImapHarness } from './harness.js';
import { LiteralClient, type LiteralResponse } from '../support/imap-literal-client.js';
import { decodeTransfer } from '../../src/mime/decode.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { ByteRange, MailStore } from '../../src/store/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const USER = 'alice@example.org';
const PASS = 'secret';
const BOB = 'bob@example.org';
const CHUNK = 256 * 1024;

interface BigMessage {
  raw: Buffer;
  /** Part 2 as stored (base64 text) and decoded. */
  base64Text: Buffer;
  attachment: Buffer;
  /** Part 3 as stored (quoted-printable) and decoded. */
  qpText: Buffer;
  qpDecoded: Buffer;
}

function wrap76(b64: string): string {
  return b64.replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');
}

/** A message of about `attachmentBytes` × 4/3 + 700 KiB: text, a base64 attachment, a QP part. */
function bigMessage(attachmentBytes: number): BigMessage {
  const attachment = randomBytes(attachmentBytes);
  attachment[1000] = 0; // a NUL: BINARY of it must be a literal8
  const base64Text = Buffer.from(wrap76(attachment.toString('base64')), 'latin1');
  const line = 'caf=C3=A9 cr=C3=A8me, tr=C3=A8s bien =3D ok and a long line that goes on =\r\nand on \t\r\n';
  const qpText = Buffer.from(line.repeat(Math.ceil((700 * 1024) / line.length)).replace(/\r\n$/, ''), 'latin1');
  const raw = Buffer.concat([
    Buffer.from(
      'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: big one\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
        '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      'latin1',
    ),
    base64Text,
    Buffer.from('\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n', 'latin1'),
    qpText,
    Buffer.from('\r\n--b--\r\n', 'latin1'),
  ]);
  return { raw, base64Text, attachment, qpText, qpDecoded: decodeTransfer(qpText, 'quoted-printable') };
}

/**
 * The store, throwing for any read of message bytes that is not a small range. The methods are
 * replaced on the store itself (the views it hands out, actingAs, call them there) and answered by a
 * proxy in front of it (the SQLite store is itself a metrics proxy that keeps the methods it saw first).
 */
function forbidWholeReads(store: MailStore): MailStore {
  const bounded = (what: string, range?: ByteRange): void => {
    if (!range || range.end - range.start > CHUNK) throw new Error(`${what} read a whole message into memory`);
  };
  const readMessage = store.readMessage.bind(store);
  const readBlob = store.readBlob.bind(store);
  const guards: Partial<MailStore> = {
    readMessage: async (account, emailId, range) => {
      bounded('readMessage', range);
      return readMessage(account, emailId, range);
    },
    readBlob: async (account, blobId, range) => {
      bounded('readBlob', range);
      return readBlob(account, blobId, range);
    },
  };
  Object.assign(store, guards);
  return new Proxy(store, { get: (target, property, receiver) => (guards as Record<PropertyKey, unknown>)[property] ?? Reflect.get(target, property, receiver) });
}

async function appendBig(h: ImapHarness, raw: Buffer): Promise<void> {
  await h.store.ensureAccount(USER);
  const inbox = await h.store.findMailboxByPath(USER, 'INBOX');
  assert.ok(inbox);
  await h.store.append(USER, { mailboxIds: [inbox.id], bytes: raw });
}

/** The one FETCH response of `r`, and its tagged OK. */
function fetched(r: LiteralResponse[]): LiteralResponse {
  assert.equal(r.length, 2, JSON.stringify(r.map((x) => x.text)));
  assert.match(r[1]!.text, /^\S+ OK/);
  return r[0]!;
}

async function checkStreamedFetches(h: ImapHarness, m: BigMessage): Promise<void> {
  await appendBig(h, m.raw);
  const c = await LiteralClient.loggedIn(h.port, USER, PASS);
  try {
    assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!.text, /^s OK/);

    const whole = fetched(await c.command('f1', 'FETCH 1 (BODY.PEEK[])'));
    assert.equal(whole.text, `* 1 FETCH (BODY[] {${m.raw.length}})`);
    assert.ok(whole.literals[0]!.equals(m.raw), 'BODY[] is the stored message byte for byte');

    // Partial ranges: across a 256 KiB chunk boundary, exactly one chunk, and past the end.
    for (const [start, length] of [[CHUNK - 500, 1000], [CHUNK, CHUNK], [100, 2 * CHUNK + 7], [m.raw.length - 10, 100]] as const) {
      const p = fetched(await c.command('f2', `FETCH 1 (BODY.PEEK[]<${start}.${length}>)`));
      const want = m.raw.subarray(start, start + length);
      assert.equal(p.text, `* 1 FETCH (BODY[]<${start}> {${want.length}})`);
      assert.ok(p.literals[0]!.equals(want), `BODY[]<${start}.${length}>`);
    }

    const part = fetched(await c.command('f3', 'FETCH 1 (BODY.PEEK[2] BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (SUBJECT)])'));
    assert.equal(part.text, `* 1 FETCH (BODY[2] {${m.base64Text.length}} BODY[1] "hello" BODY[HEADER.FIELDS (SUBJECT)] {20})`);
    assert.ok(part.literals[0]!.equals(m.base64Text));
    assert.equal(part.literals[1]!.toString('latin1'), 'Subject: big one\r\n\r\n');

    const bin = fetched(await c.command('f4', 'FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.SIZE[3])'));
    assert.equal(bin.text, `* 1 FETCH (BINARY.SIZE[2] ${m.attachment.length} BINARY[2] ~{${m.attachment.length}} BINARY.SIZE[3] ${m.qpDecoded.length})`);
    assert.ok(bin.literals[0]!.equals(m.attachment), 'BINARY[2] is the decoded attachment');

    const binPartial = fetched(await c.command('f5', `FETCH 1 (BINARY.PEEK[2]<${CHUNK - 3}.${CHUNK + 9}> BINARY.PEEK[3])`));
    const wantPartial = m.attachment.subarray(CHUNK - 3, 2 * CHUNK + 6);
    assert.equal(binPartial.text, `* 1 FETCH (BINARY[2]<${CHUNK - 3}> ${wantPartial.includes(0) ? '~' : ''}{${wantPartial.length}} BINARY[3] {${m.qpDecoded.length}})`);
    assert.ok(binPartial.literals[0]!.equals(wantPartial), 'a decoded range');
    assert.ok(binPartial.literals[1]!.equals(m.qpDecoded), 'BINARY[3] is the decoded quoted-printable part');

    // RFC822.TEXT sets \Seen, so the FLAGS come after it in the same response.
    const text = fetched(await c.command('f6', 'FETCH 1 (RFC822.TEXT)'));
    const bodyStart = m.raw.indexOf('\r\n\r\n') + 4;
    assert.equal(text.text, `* 1 FETCH (RFC822.TEXT {${m.raw.length - bodyStart}} FLAGS (\\Seen \\Recent))`);
    assert.ok(text.literals[0]!.equals(m.raw.subarray(bodyStart)));

    // URLFETCH (RFC 4467, RFC 5524 BINARY) streams too: the whole message, a decoded part, a range of it.
    const urls: string[] = [];
    for (const [i, tail] of ['', '/;SECTION=2', `/;SECTION=2/;PARTIAL=${CHUNK - 3}.${CHUNK + 9}`].entries()) {
      const g = await c.command(`g${i}`, `GENURLAUTH "imap://alice@example.org/INBOX/;UID=1${tail};URLAUTH=user+alice%40example.org" INTERNAL`);
      const url = /^\* GENURLAUTH "([^"]+)"$/.exec(g[0]!.text)?.[1];
      assert.ok(url, g[0]!.text);
      urls.push(url);
    }
    const u = fetched(await c.command('u', `URLFETCH "${urls[0]}" ("${urls[1]}" BINARY BODYPARTSTRUCTURE) ("${urls[2]}" BINARY)`));
    assert.equal(
      u.text,
      `* URLFETCH "${urls[0]}" {${m.raw.length}} "${urls[1]}" (BODYPARTSTRUCTURE ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" ${m.attachment.length} NIL NIL NIL NIL) ` +
        `BINARY ~{${m.attachment.length}}) "${urls[2]}" (BINARY ${wantPartial.includes(0) ? '~' : ''}{${wantPartial.length}})`,
    );
    assert.ok(u.literals[0]!.equals(m.raw) && u.literals[1]!.equals(m.attachment) && u.literals[2]!.equals(wantPartial), 'URLFETCH data');

    // CATENATE (RFC 4469) copies a URL's section from the store in ranges too.
    const head = 'Subject: c\r\n\r\n';
    const cat = await c.command('c', `APPEND INBOX CATENATE (TEXT {${head.length}+}\r\n${head} URL "/INBOX/;UID=1/;SECTION=3")`);
    assert.match(cat.at(-1)!.text, /^c OK/);
    const made = fetched(await c.command('f7', 'UID FETCH 2 (BODY.PEEK[])'));
    assert.ok(made.literals[0]!.equals(Buffer.concat([Buffer.from(head), m.qpText])), 'the catenated message');

    // COPY into another account goes through a spool file filled from the store chunk by chunk.
    assert.match((await c.command('acl', `SETACL INBOX ${BOB} lrs`)).at(-1)!.text, /^acl OK/);
    const b = await LiteralClient.loggedIn(h.port, BOB, PASS);
    try {
      assert.match((await b.command('s', `SELECT "Other Users/${USER}/INBOX"`)).at(-1)!.text, /^s OK/);
      assert.match((await b.command('cp', 'COPY 1 INBOX')).at(-1)!.text, /^cp OK/);
      assert.match((await b.command('s2', 'SELECT INBOX')).at(-1)!.text, /^s2 OK/);
      const copy = fetched(await b.command('f8', 'FETCH 1 (BODY.PEEK[])'));
      assert.ok(copy.literals[0]!.equals(m.raw), 'the copy in the other account');
    } finally {
      b.close();
    }
  } finally {
    c.close();
  }
}

/** The largest file under `dir`: the stored message's blob. */
async function largestFile(dir: string): Promise<{ path: string; size: number }> {
  let best = { path: '', size: -1 };
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    const st = await stat(path);
    if (st.isFile() && st.size > best.size) best = { path, size: st.size };
  }
  return best;
}

describe('FETCH streams message bytes (SQLite)', () => {
  it('serves a 9 MiB message byte for byte, in ranges and decoded, without reading it whole', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-fetch-'));
    const h = await startImap({
      users: { [USER]: PASS, [BOB]: PASS },
      dataDir,
      openStore: async (events, logger) => forbidWholeReads(await openSqliteStore({ dataDir, events, logger })),
    });
    try {
      await checkStreamedFetches(h, bigMessage(6 * 1024 * 1024));
    } finally {
      await h.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('filters a header block of over 1 MiB as it reads it (HEADER.FIELDS, .NOT, partial)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-fetch-'));
    const h = await startImap({
      users: { [USER]: PASS },
      dataDir,
      openStore: async (events, logger) => forbidWholeReads(await openSqliteStore({ dataDir, events, logger })),
    });
    try {
      const pad = Array.from({ length: 16_000 }, (_, i) => `X-Pad: ${i} ${'p'.repeat(60)}\r\n${i % 100 === 0 ? '\tfolded pad line\r\n' : ''}`).join('');
      const head = `From: bob@example.org\r\n${pad}X-Keep: kept\r\n\tand its fold\r\nSubject: padded\r\n`;
      assert.ok(head.length > 4 * CHUNK, 'the header block spans several chunks');
      await appendBig(h, Buffer.from(`${head}\r\nbody\r\n`, 'latin1'));
      const c = await LiteralClient.loggedIn(h.port, USER, PASS);
      try {
        assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!.text, /^s OK/);
        const kept = 'X-Keep: kept\r\n\tand its fold\r\nSubject: padded\r\n\r\n';
        const fields = fetched(await c.command('h1', 'FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT X-KEEP)])'));
        assert.equal(fields.text, `* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT X-KEEP)] {${kept.length}})`);
        assert.equal(fields.literals[0]!.toString('latin1'), kept);
        const not = `From: bob@example.org\r\n${kept}`;
        const rest = fetched(await c.command('h2', 'FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (X-PAD)] BODY.PEEK[HEADER.FIELDS.NOT (FROM)]<10.300000>)'));
        assert.equal(rest.literals[0]!.toString('latin1'), not);
        const allButFrom = head.slice('From: bob@example.org\r\n'.length) + '\r\n';
        assert.equal(rest.literals[1]!.toString('latin1'), allButFrom.slice(10, 300_010));
        // CATENATE (RFC 4469) filters the same block as it reads it, and cuts a PARTIAL of the fields.
        const text = 'To: alice@example.org\r\n';
        const cat = await c.command('c', `APPEND INBOX CATENATE (TEXT {${text.length}+}\r\n${text} URL "/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT%20X-KEEP)" URL "/INBOX/;UID=1/;SECTION=HEADER.FIELDS.NOT%20(X-PAD)/;PARTIAL=0.23")`);
        assert.match(cat.at(-1)!.text, /^c OK/);
        const made = fetched(await c.command('h3', 'FETCH 2 BODY.PEEK[]'));
        assert.equal(made.literals[0]!.toString('latin1'), `${text}${kept}From: bob@example.org\r\n`);
      } finally {
        c.close();
      }
    } finally {
      await h.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('closes the connection when the bytes vanish mid-literal, never sending a short literal', async () => {
    const h = await startImap({ users: { [USER]: PASS } });
    const size = 24 * 1024 * 1024;
    const raw = Buffer.concat([Buffer.from('Subject: huge\r\n\r\n'), Buffer.alloc(size, 'x')]);
    await appendBig(h, raw);
    const c = await LiteralClient.loggedIn(h.port, USER, PASS);
    try {
      assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!.text, /^s OK/);
      const head = `* 1 FETCH (BODY[] {${raw.length}}\r\n`;
      c.send('f FETCH 1 (BODY.PEEK[])\r\n');
      // Once the literal's first bytes are here the server reads the stored file; stop reading so it
      // waits on the socket, then cut the file short under it.
      await c.bufferedBytes(head.length + 1);
      c.socket.pause();
      const blob = await largestFile(h.dataDir);
      assert.equal(blob.size, raw.length);
      await truncate(blob.path, Math.floor(blob.size / 2));
      c.socket.resume();
      await assert.rejects(c.response(), /connection closed/);
      await c.closed;
      assert.ok(c.received < raw.length, `only ${c.received} of ${raw.length} literal bytes were sent`);
    } finally {
      c.close();
      await h.close();
    }
  });
});

describe('FETCH streams message bytes (PostgreSQL)', async () => {
  const why = await postgresUnavailable();
  after(dropSharedDatabase);
  it('serves a 9 MiB message byte for byte, in ranges and decoded, without reading it whole', { skip: why ?? false }, async () => {
    const db = await createTestSchema();
    const h = await startImap({
      users: { [USER]: PASS, [BOB]: PASS },
      openStore: async (events, logger) => forbidWholeReads(await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events, logger })),
    });
    try {
      await checkStreamedFetches(h, bigMessage(6 * 1024 * 1024));
    } finally {
      await h.close();
      await db.drop();
    }
  });
});
