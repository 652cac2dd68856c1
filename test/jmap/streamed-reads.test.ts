// JMAP reads of a large email never take it whole from the store: the server's store refuses
// whole-buffer reads over 256 KiB (test/support/bounded-reads.ts), and an 8 MiB email, its base64,
// quoted-printable and 8-bit parts, and an uploaded 8 MiB blob still download byte-exact with their
// Content-Length, across the stores' 256 KiB chunk boundaries; Email/get bodyValues and
// SearchSnippet/get read only the text parts, as far as their values need; Email/copy spools. A blob
// that goes away mid-download cuts the connection: the client never gets a body it could take as whole.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';
import { boundedReads, vanishingReads } from '../support/bounded-reads.js';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { seededBytes } from '../support/prng.js';
import { decodeTransfer } from '../../src/mime/decode.js';
import { truncateUtf8 } from '../../src/jmap/mail/truncate.js';

const ALICE = 'alice@example.com';
const CHUNK = 256 * 1024;

let h: Harness;
let ID: string;
const email = bigEmail();
let emailId: string;

before(async () => {
  h = await startHarness({ serverStore: boundedReads, config: { maxSizeUpload: 16 * 1024 * 1024 } });
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  const inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  emailId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: email.bytes })).emailId;
});
after(() => h.close());

function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
}

/** Quoted-printable with escapes and soft breaks everywhere, some of them on 256 KiB boundaries. */
function quotedPrintable(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(i === 2000 ? 'the zebracorn hides here' : i % 3 === 0 ? `caf=C3=A9 line ${i} with a soft =\r\nbreak and =3D sign` : `plain line ${i} ${'q'.repeat(i % 50)}`);
  return out.join('\r\n');
}

/** 8-bit text lines (a raw part), ending on each side of chunk boundaries. */
function rawLines(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `raw ${i} ${'é'.repeat(i % 40)} .line\r\n`;
  return text;
}

function bigEmail(): { bytes: Buffer; binary: Buffer; qp: string; raw: Buffer } {
  const binary = seededBytes(3_600_000, 7);
  const qp = quotedPrintable(24_000);
  const raw = Buffer.from(rawLines(3_000_000), 'latin1');
  const head =
    `From: <bob@example.com>\r\nTo: <${ALICE}>\r\nSubject: big\r\nMessage-ID: <big@test>\r\nMIME-Version: 1.0\r\n` +
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
    '--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, see the attachments.\r\n' +
    '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
  const bytes = Buffer.concat([
    Buffer.from(head + base64Lines(binary) + '\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + qp, 'latin1'),
    Buffer.from('\r\n--b\r\nContent-Type: application/octet-stream; name=raw.bin\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'latin1'),
    raw,
    Buffer.from('\r\n--b--\r\n', 'latin1'),
  ]);
  return { bytes, binary, qp, raw };
}

async function download(blobId: string): Promise<{ status: number; length: string | null; body: Buffer }> {
  const res = await fetch(`${h.url}/download/${ID}/${encodeURIComponent(blobId)}/x.bin`, { headers: { Authorization: h.basic(ALICE) } });
  return { status: res.status, length: res.headers.get('content-length'), body: Buffer.from(await res.arrayBuffer()) };
}

test('an 8 MiB email and each of its parts download byte-exact, read a chunk at a time', async () => {
  assert.ok(email.bytes.length > 8 * 1024 * 1024);
  const [[, got]] = (await call(h, [['Email/get', { accountId: ID, ids: [emailId], properties: ['blobId', 'bodyStructure'], bodyProperties: ['partId', 'blobId', 'size', 'type'] }, 'g']])) as unknown as Array<[string, { list: Array<{ blobId: string; bodyStructure: { subParts: Array<{ blobId: string; size: number }> } }> }]>;
  const found = got.list[0]!;

  const whole = await download(found.blobId);
  assert.equal(whole.status, 200);
  assert.equal(whole.length, String(email.bytes.length));
  assert.ok(whole.body.equals(email.bytes), 'the whole email byte-exact');

  const [, binary, qp, raw] = found.bodyStructure.subParts;
  const expected = [email.binary, decodeTransfer(Buffer.from(email.qp, 'latin1'), 'quoted-printable'), email.raw];
  for (const [i, part] of [binary!, qp!, raw!].entries()) {
    const res = await download(part.blobId);
    assert.equal(res.status, 200);
    assert.equal(res.length, String(expected[i]!.length), `part ${i} Content-Length`);
    assert.equal(part.size, expected[i]!.length, `part ${i} EmailBodyPart.size`);
    assert.ok(res.body.equals(expected[i]!), `part ${i} byte-exact`);
  }
  assert.ok(email.binary.length > CHUNK * 10 && email.raw.length > CHUNK * 10, 'parts span many chunks');
});

test('an uploaded 8 MiB blob downloads byte-exact with its Content-Length', async () => {
  const bytes = seededBytes(8 * 1024 * 1024 + 17, 11);
  const up = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'application/octet-stream' }, body: bytes });
  assert.equal(up.status, 201);
  const { blobId } = (await up.json()) as { blobId: string };
  const res = await download(blobId);
  assert.equal(res.status, 200);
  assert.equal(res.length, String(bytes.length));
  assert.ok(res.body.equals(bytes));
});

test('a blob that does not exist is 404, before any body', async () => {
  const res = await download('Gnone');
  assert.equal(res.status, 404);
});

type Values = Record<string, { value: string; isTruncated: boolean; isEncodingProblem: boolean }>;

async function bodyValues(maxBodyValueBytes: number): Promise<Values> {
  const [[, got]] = (await call(h, [['Email/get', { accountId: ID, ids: [emailId], properties: ['bodyValues'], fetchAllBodyValues: true, maxBodyValueBytes }, 'g']])) as unknown as Array<[string, { list: Array<{ bodyValues: Values }> }]>;
  return got.list[0]!.bodyValues;
}

test('Email/get bodyValues of the 8 MiB email read only its text parts, cut or whole', async () => {
  const qpText = decodeTransfer(Buffer.from(email.qp, 'latin1'), 'quoted-printable').toString('utf8').replace(/\r\n/g, '\n');
  assert.ok(Buffer.byteLength(qpText) > 2 * CHUNK, 'the quoted-printable text spans chunks');
  const cut = await bodyValues(1000);
  assert.deepEqual(Object.keys(cut).sort(), ['1', '3']);
  assert.deepEqual(cut['1'], { value: 'Hello, see the attachments.', isEncodingProblem: false, isTruncated: false });
  assert.deepEqual(cut['3'], { value: truncateUtf8(qpText, 1000).value, isEncodingProblem: false, isTruncated: true });
  const whole = await bodyValues(0);
  assert.equal(whole['3']!.value, qpText);
  assert.equal(whole['3']!.isTruncated, false);
});

test('SearchSnippet/get finds a term past the preview in the text part, read by ranges', async () => {
  const [[, got]] = (await call(h, [['SearchSnippet/get', { accountId: ID, emailIds: [emailId], filter: { text: 'zebracorn' } }, 's']])) as unknown as Array<[string, { list: Array<{ preview: string | null }> }]>;
  assert.match(got.list[0]!.preview ?? '', /<mark>zebracorn<\/mark>/);
});

test('Email/copy of the 8 MiB email into an account shared with the caller goes through a spool file, byte-exact', async () => {
  const BOB = 'bob@example.com';
  await h.store.ensureAccount(BOB);
  const bobId = await accountIdOf(h, BOB);
  const shared = (await h.store.createMailbox(BOB, { path: 'From Alice' })).id;
  await h.store.setRights(BOB, shared, ALICE, 'lri');
  const [[, copied]] = (await call(h, [['Email/copy', { fromAccountId: ID, accountId: bobId, create: { c1: { id: emailId, mailboxIds: { [shared]: true } } } }, 'c']])) as unknown as Array<[string, { created: Record<string, { id: string; size: number }> | null; notCreated: unknown }]>;
  const copy = copied.created?.c1;
  assert.ok(copy, JSON.stringify(copied.notCreated));
  assert.equal(copy.size, email.bytes.length);
  assert.ok((await h.store.readMessage(BOB, copy.id))!.equals(email.bytes));
});

test('Blob/get digests and Blob/upload copies of a part of the 8 MiB email stream its decoded bytes, from an offset too', async () => {
  const [[, got]] = (await call(h, [['Email/get', { accountId: ID, ids: [emailId], properties: ['bodyStructure'], bodyProperties: ['partId', 'blobId'] }, 'g']])) as unknown as Array<[string, { list: Array<{ bodyStructure: { subParts: Array<{ blobId: string }> } }> }]>;
  const partBlob = got.list[0]!.bodyStructure.subParts[1]!.blobId;
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('base64');
  const [offset, length] = [CHUNK - 5, CHUNK + 10];
  const using = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:blob'];
  const r = (await call(h, [
    ['Blob/get', { accountId: ID, ids: [partBlob], properties: ['digest:sha-256', 'size'] }, 'whole'],
    ['Blob/get', { accountId: ID, ids: [partBlob], properties: ['digest:sha-256'], offset, length }, 'range'],
    ['Blob/upload', { accountId: ID, create: { b: { data: [{ blobId: partBlob, offset, length }] } } }, 'up'],
  ], using)) as unknown as Array<[string, any, string]>;
  assert.deepEqual(r[0]![1].list[0], { id: partBlob, 'digest:sha-256': sha(email.binary), size: email.binary.length });
  assert.equal(r[1]![1].list[0]['digest:sha-256'], sha(email.binary.subarray(offset, offset + length)));
  const uploaded = r[2]![1].created.b as { id: string; size: number };
  assert.equal(uploaded.size, length);
  assert.ok((await download(uploaded.id)).body.equals(email.binary.subarray(offset, offset + length)));
});

test('a blob that goes away mid-download cuts the connection short of its Content-Length', async () => {
  const cut = await startHarness({ serverStore: (store) => boundedReads(vanishingReads(store, 2)), config: { maxSizeUpload: 16 * 1024 * 1024 } });
  try {
    await cut.store.ensureAccount(ALICE);
    const id = await accountIdOf(cut);
    const bytes = seededBytes(2 * 1024 * 1024, 13);
    const up = await fetch(`${cut.url}/upload/${id}`, { method: 'POST', headers: { Authorization: cut.basic(ALICE), 'Content-Type': 'application/octet-stream' }, body: bytes });
    const { blobId } = (await up.json()) as { blobId: string };
    const got = await new Promise<{ status: number; length: number; received: number; complete: boolean }>((resolve, reject) => {
      const req = http.get(`${cut.url}/download/${id}/${blobId}/x.bin`, { headers: { Authorization: cut.basic(ALICE) } }, (res) => {
        let received = 0;
        res.on('data', (d: Buffer) => (received += d.length));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0, length: Number(res.headers['content-length']), received, complete: res.complete }));
      });
      req.on('error', reject);
    });
    assert.equal(got.status, 200);
    assert.equal(got.length, bytes.length);
    assert.equal(got.complete, false, 'the response was cut, not ended');
    assert.ok(got.received < bytes.length && got.received >= 2 * CHUNK, `${got.received} bytes received`);
  } finally {
    await cut.close();
  }
});
