// Email/parse, downloads of the part blobs it hands out ("~" parts) and Email/import of an email's
// attachment never take a large blob whole from the store: the server's store refuses whole-buffer
// reads over 256 KiB (test/support/bounded-reads.ts). An uploaded 8 MiB message parses to the same
// view Email/get gives of it stored, its base64 attachment downloads byte-exact, and an 8 MiB
// message/rfc822 attachment imports as an email of its own, byte-exact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, USING, type Harness } from './harness.js';
import { createHash } from 'node:crypto';
import { boundedReads } from '../support/bounded-reads.js';
import { seededBytes } from '../support/prng.js';
import { decodeTransfer } from '../../src/mime/decode.js';
import { PARSE_DEFAULTS } from '../../src/jmap/methods/email-parse.js';

const ALICE = 'alice@example.com';
const CHUNK = 256 * 1024;

let h: Harness;
let ID: string;
let inbox: string;
const binary = seededBytes(6_000_000, 21);
const qp = quotedPrintableText(9_000);
const inner = innerMessage();

before(async () => {
  h = await startHarness({ serverStore: boundedReads, config: { maxSizeUpload: 16 * 1024 * 1024 } });
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());

/** Quoted-printable lines with escapes and soft breaks, over several 256 KiB ranges. */
function quotedPrintableText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(i % 4 === 0 ? `caf=C3=A9 ligne ${i} coup=\r\ne doux et =3D signe` : `ligne ${i} ${'p'.repeat(i % 60)}`);
  return out.join('\r\n');
}

function innerMessage(): Buffer {
  const text =
    'From: <carol@example.com>\r\nTo: <alice@example.com>\r\nSubject: parsed big\r\nMessage-ID: <parse-big@test>\r\n' +
    'Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="pb"\r\n\r\n' +
    '--pb\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + qp + '\r\n' +
    '--pb\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Disposition: attachment; filename=big.bin\r\n' +
    'Content-Transfer-Encoding: base64\r\n\r\n' + binary.toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n--pb--\r\n';
  return Buffer.from(text, 'latin1');
}

async function upload(bytes: Buffer): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'message/rfc822' }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}

async function download(blobId: string): Promise<{ status: number; length: string | null; body: Buffer }> {
  const res = await fetch(`${h.url}/download/${ID}/${encodeURIComponent(blobId)}/x.bin`, { headers: { Authorization: h.basic(ALICE) } });
  return { status: res.status, length: res.headers.get('content-length'), body: Buffer.from(await res.arrayBuffer()) };
}

type View = Record<string, unknown>;

/** The view with blob ids (which name the email or the parsed blob) and per-email metadata left out. */
function content(view: View): View {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'blobId').map(([k, x]) => [k, strip(x)]));
  };
  const { id: _i, blobId: _b, size: _s, ...rest } = view;
  return strip(rest) as View;
}

const PROPERTIES = [...PARSE_DEFAULTS, 'bodyStructure', 'size'];

test('Email/parse of an uploaded 8 MiB message gives the view Email/get gives of it stored, read by ranges', async () => {
  assert.ok(inner.length > 8 * 1024 * 1024, `${inner.length} bytes`);
  const blobId = await upload(inner);
  const stored = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: inner })).emailId;
  for (const maxBodyValueBytes of [0, 1000]) {
    const args = { fetchAllBodyValues: true, maxBodyValueBytes, properties: PROPERTIES };
    const r = (await call(h, [
      ['Email/parse', { accountId: ID, blobIds: [blobId], ...args }, 'p'],
      ['Email/get', { accountId: ID, ids: [stored], ...args }, 'g'],
    ])) as unknown as Array<[string, { parsed?: Record<string, View> | null; notFound?: unknown; list?: View[] }]>;
    assert.equal(r[0]![0], 'Email/parse', JSON.stringify(r[0]![1]));
    const parsed = r[0]![1].parsed?.[blobId];
    assert.ok(parsed, JSON.stringify(r[0]![1]));
    assert.equal(parsed.size, inner.length);
    assert.equal(parsed.subject, 'parsed big');
    assert.deepEqual(content(parsed), content(r[1]![1].list![0]!), `maxBodyValueBytes ${maxBodyValueBytes}`);
  }
  const [[, got]] = (await call(h, [['Email/parse', { accountId: ID, blobIds: [blobId], fetchAllBodyValues: true }, 'p']])) as unknown as Array<[string, { parsed: Record<string, { bodyValues: Record<string, { value: string }>; attachments: Array<{ size: number; name: string }> }> }]>;
  const text = decodeTransfer(Buffer.from(qp, 'latin1'), 'quoted-printable').toString('utf8').replace(/\r\n/g, '\n');
  assert.ok(Buffer.byteLength(text) > CHUNK, 'the text part spans ranges');
  assert.equal(got.parsed[blobId]!.bodyValues['1']!.value, text);
  assert.deepEqual(got.parsed[blobId]!.attachments.map((a) => [a.name, a.size]), [['big.bin', binary.length]]);
});

test('the parsed blob\'s attachment and text part ("~" part blobs) download decoded, byte-exact', async () => {
  const blobId = await upload(inner);
  const [[, got]] = (await call(h, [['Email/parse', { accountId: ID, blobIds: [blobId], properties: ['textBody', 'attachments'] }, 'p']])) as unknown as Array<[string, { parsed: Record<string, { textBody: Array<{ blobId: string }>; attachments: Array<{ blobId: string }> }> }]>;
  const view = got.parsed[blobId]!;
  const attachment = await download(view.attachments[0]!.blobId);
  assert.equal(attachment.status, 200);
  assert.equal(attachment.length, String(binary.length));
  assert.ok(attachment.body.equals(binary), 'the attachment byte-exact');
  const textPart = await download(view.textBody[0]!.blobId);
  assert.equal(textPart.status, 200);
  assert.ok(textPart.body.equals(decodeTransfer(Buffer.from(qp, 'latin1'), 'quoted-printable')), 'the text part decoded');
});

test('Email/import of an email\'s 8 MiB message/rfc822 attachment spools it and stores it byte-exact; Email/parse reads it too', async () => {
  const outer = Buffer.concat([
    Buffer.from(
      'From: <dave@example.com>\r\nTo: <alice@example.com>\r\nSubject: forwarded\r\nMessage-ID: <fwd@test>\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/mixed; boundary="ob"\r\n\r\n--ob\r\nContent-Type: text/plain\r\n\r\nSee the attached message.\r\n' +
        '--ob\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n',
      'latin1',
    ),
    inner,
    Buffer.from('\r\n--ob--\r\n', 'latin1'),
  ]);
  const outerId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: outer })).emailId;
  const [[, got]] = (await call(h, [['Email/get', { accountId: ID, ids: [outerId], properties: ['attachments'], bodyProperties: ['blobId', 'type', 'size'] }, 'g']])) as unknown as Array<[string, { list: Array<{ attachments: Array<{ blobId: string; type: string; size: number }> }> }]>;
  const part = got.list[0]!.attachments[0]!;
  assert.equal(part.type, 'message/rfc822');
  assert.equal(part.size, inner.length);

  const r = (await call(h, [
    ['Email/import', { accountId: ID, emails: { i1: { blobId: part.blobId, mailboxIds: { [inbox]: true } } } }, 'i'],
    ['Email/parse', { accountId: ID, blobIds: [part.blobId], properties: ['subject', 'attachments', 'bodyValues'], fetchAllBodyValues: true }, 'p'],
    ['Blob/get', { accountId: ID, ids: [part.blobId], properties: ['digest:sha-256'], offset: CHUNK - 7, length: 2 * CHUNK }, 'b'],
  ], [...USING, 'urn:ietf:params:jmap:blob'])) as unknown as Array<[string, any, string]>;
  assert.equal(r[0]![0], 'Email/import', JSON.stringify(r[0]![1]));
  const created = r[0]![1].created?.i1 as { id: string; size: number } | undefined;
  assert.ok(created, JSON.stringify(r[0]![1].notCreated));
  assert.equal(created.size, inner.length);
  assert.ok((await h.store.readMessage(ALICE, created.id))!.equals(inner), 'the imported email byte-exact');
  assert.equal(r[1]![0], 'Email/parse', JSON.stringify(r[1]![1]));
  const parsed = r[1]![1].parsed[part.blobId] as { subject: string; attachments: Array<{ size: number; blobId: string }>; bodyValues: Record<string, { value: string }> };
  assert.equal(parsed.subject, 'parsed big');
  assert.equal(parsed.attachments[0]!.size, binary.length);
  // The part has no transfer encoding: each range of it is read from the stored email's range.
  assert.equal(parsed.bodyValues['1']!.value, decodeTransfer(Buffer.from(qp, 'latin1'), 'quoted-printable').toString('utf8').replace(/\r\n/g, '\n'));
  // The attachment of the attached message (a part of a part) downloads decoded too.
  const nested = await download(parsed.attachments[0]!.blobId);
  assert.equal(nested.status, 200);
  assert.ok(nested.body.equals(binary), 'the attached message\'s attachment byte-exact');
  assert.equal(r[2]![1].list?.[0]?.['digest:sha-256'], createHash('sha256').update(inner.subarray(CHUNK - 7, 3 * CHUNK - 7)).digest('base64'), JSON.stringify(r[2]));
});
