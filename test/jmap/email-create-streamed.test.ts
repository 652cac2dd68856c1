// Email/set create takes its attachments' bytes from the store a chunk at a time and writes the
// composed message to a spool file: the server's store refuses whole-buffer reads over 256 KiB
// (test/support/bounded-reads.ts), and a create with two 8 MiB uploads (binary and text), or with a
// decoded part of another email, still succeeds with every attachment byte-exact. A binary part is
// base64, a text part quoted-printable (readable) unless its bytes are mostly 8-bit; a missing blob is
// still blobNotFound naming every one (one that goes away while it is read too), and no spool file is
// left behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';
import { boundedReads, vanishingReads } from '../support/bounded-reads.js';
import { seededBytes } from '../support/prng.js';
import { partBlobId } from '../../src/jmap/mail/blob-ids.js';

const ALICE = 'alice@example.com';
const MIB = 1024 * 1024;

let h: Harness;
let ID: string;
let drafts: string;

type Args = Record<string, unknown>;
interface Part {
  blobId: string;
  type: string;
  name: string | null;
  size: number;
  'header:Content-Transfer-Encoding:asText': string | null;
}

/** maxSizeUpload, and so maxSizeAttachmentsPerEmail: two 8 MiB attachments fit, three do not. */
const MAX_UPLOAD = 20 * MIB;

before(async () => {
  h = await startHarness({ serverStore: boundedReads, config: { maxSizeUpload: MAX_UPLOAD } });
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
});
after(() => h.close());

/** Text lines with CRLF ends, some long (soft breaks), some with 8-bit characters and '=' signs. */
function textLines(size: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = i % 7 === 0 ? `${i}: ${'long line '.repeat(12)}= end` : `${i}: plain words ${'x'.repeat(i % 60)} café`;
    lines.push(line);
    length += Buffer.byteLength(line) + 2;
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

async function upload(bytes: Buffer, type: string): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': type }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}

async function download(blobId: string): Promise<Buffer> {
  const res = await fetch(`${h.url}/download/${ID}/${encodeURIComponent(blobId)}/x.bin`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

/** Email/set create of one email with these attachments, then Email/get of its attachments. */
async function create(attachments: Args[]): Promise<{ set: Args; parts: Part[] }> {
  const res = (await call(h, [
    ['Email/set', { accountId: ID, create: { e: { mailboxIds: { [drafts]: true }, subject: 'Big', textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'See attached.' } }, attachments } } }, 's'],
    ['Email/get', { accountId: ID, ids: ['#e'], properties: ['attachments'], bodyProperties: ['blobId', 'type', 'name', 'size', 'header:Content-Transfer-Encoding:asText'] }, 'g'],
  ])) as unknown as Array<[string, Args, string]>;
  const set = res[0]![1];
  const list = res[1]![0] === 'Email/get' ? (res[1]![1].list as Array<{ attachments: Part[] }>) : [];
  return { set, parts: list[0]?.attachments ?? [] };
}

async function spoolFiles(): Promise<string[]> {
  return (await readdir(join(h.dir, 'spool', 'jmap')).catch(() => [])).filter((n) => n.endsWith('.spool'));
}

test('two 8 MiB uploads (binary and text) become attachments byte-exact, read from the store a chunk at a time', async () => {
  const binary = seededBytes(8 * MIB + 5, 21);
  const text = textLines(8 * MIB);
  const [binaryId, textId] = [await upload(binary, 'application/octet-stream'), await upload(text, 'text/plain')];
  const { set, parts } = await create([
    { blobId: binaryId, type: 'application/octet-stream', name: 'random.bin' },
    { blobId: textId, type: 'text/plain', charset: 'utf-8', name: 'notes.txt' },
  ]);
  assert.ok((set.created as Record<string, Args> | null)?.e, JSON.stringify(set.notCreated));
  assert.deepEqual(parts.map((p) => [p.type, p.name, p.size, p['header:Content-Transfer-Encoding:asText']?.trim()]), [
    ['application/octet-stream', 'random.bin', binary.length, 'base64'],
    ['text/plain', 'notes.txt', text.length, 'quoted-printable'],
  ]);
  assert.ok((await download(parts[0]!.blobId)).equals(binary), 'the binary attachment byte-exact');
  assert.ok((await download(parts[1]!.blobId)).equals(text), 'the text attachment byte-exact');
  assert.deepEqual(await spoolFiles(), [], 'the spool file was taken by the store or removed');
});

test('a large text attachment of mostly 8-bit characters is base64, as a Buffer of the same bytes was', async () => {
  const line = 'Привет, мир: строка текста по-русски.\r\n';
  const text = Buffer.from(line.repeat(Math.ceil(MIB / Buffer.byteLength(line))), 'utf8');
  const { set, parts } = await create([{ blobId: await upload(text, 'text/plain'), type: 'text/plain', charset: 'utf-8' }]);
  assert.ok((set.created as Record<string, Args> | null)?.e, JSON.stringify(set.notCreated));
  assert.equal(parts[0]!['header:Content-Transfer-Encoding:asText']?.trim(), 'base64');
  assert.ok((await download(parts[0]!.blobId)).equals(text));
});

test("a decoded part of another email is attached byte-exact", async () => {
  const inner = seededBytes(3 * MIB + 1, 22);
  const source = Buffer.from(
    `From: <bob@example.com>\r\nTo: <${ALICE}>\r\nSubject: source\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
      '--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      inner.toString('base64').replace(/.{76}/g, '$&\r\n') +
      '\r\n--b--\r\n',
    'latin1',
  );
  const inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  const emailId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: source })).emailId;
  const { set, parts } = await create([{ blobId: partBlobId(emailId, '2'), type: 'image/png', name: 'again.png' }]);
  assert.ok((set.created as Record<string, Args> | null)?.e, JSON.stringify(set.notCreated));
  assert.equal(parts[0]!.size, inner.length);
  assert.ok((await download(parts[0]!.blobId)).equals(inner), 'the decoded part byte-exact');
});

test('blobs that do not exist are blobNotFound, every one named, and nothing is spooled', async () => {
  const present = await upload(seededBytes(MIB, 23), 'application/octet-stream');
  const missingPart = partBlobId('nosuchemail', '2');
  const { set } = await create([
    { blobId: 'Gmissing1', type: 'application/pdf' },
    { blobId: present, type: 'application/octet-stream' },
    { blobId: missingPart, type: 'image/png' },
  ]);
  const e = (set.notCreated as Record<string, { type: string; notFound?: string[] }> | null)?.e;
  assert.equal(e?.type, 'blobNotFound', JSON.stringify(set));
  assert.deepEqual(e.notFound, ['Gmissing1', missingPart]);
  assert.deepEqual(await spoolFiles(), []);
});

test('an email over the account storage quota is overQuota, as before, and its spool file is removed', async () => {
  const blobId = await upload(seededBytes(2 * MIB, 25), 'application/octet-stream');
  const used = (await h.store.getQuota(ALICE)).storage.used;
  await h.store.setQuota(ALICE, { storage: used + MIB, messages: null });
  try {
    const { set } = await create([{ blobId, type: 'application/octet-stream' }]);
    const e = (set.notCreated as Record<string, { type: string }> | null)?.e;
    assert.equal(e?.type, 'overQuota', JSON.stringify(set));
    assert.deepEqual(await spoolFiles(), []);
  } finally {
    await h.store.setQuota(ALICE, null);
  }
});

test('blobs totalling more than maxSizeAttachmentsPerEmail are tooLarge, though each fits, and nothing is spooled', async () => {
  const session = (await (await fetch(`${h.url}/.well-known/jmap`, { headers: { Authorization: h.basic(ALICE) } })).json()) as {
    accounts: Record<string, { accountCapabilities: Record<string, { maxSizeAttachmentsPerEmail?: number }> }>;
  };
  assert.equal(session.accounts[ID]!.accountCapabilities['urn:ietf:params:jmap:mail']!.maxSizeAttachmentsPerEmail, MAX_UPLOAD);
  const blobId = await upload(seededBytes(7 * MIB, 26), 'application/octet-stream');
  const { set } = await create([0, 1, 2].map((i) => ({ blobId, type: 'application/octet-stream', name: `copy${i}.bin` })));
  const e = (set.notCreated as Record<string, { type: string }> | null)?.e;
  assert.equal(e?.type, 'tooLarge', JSON.stringify(set));
  assert.deepEqual(await spoolFiles(), []);
  // Two copies fit.
  const fits = await create([0, 1].map((i) => ({ blobId, type: 'application/octet-stream', name: `copy${i}.bin` })));
  assert.ok((fits.set.created as Record<string, Args> | null)?.e, JSON.stringify(fits.set.notCreated));
});

test('a blob that goes away while the email is written is blobNotFound, and its spool file is removed', async () => {
  const cut = await startHarness({ serverStore: (store) => boundedReads(vanishingReads(store, 2)), config: { maxSizeUpload: 16 * MIB } });
  try {
    await cut.store.ensureAccount(ALICE);
    const id = await accountIdOf(cut);
    const mailbox = (await cut.store.findMailboxByRole(ALICE, 'drafts'))!.id;
    const up = await fetch(`${cut.url}/upload/${id}`, { method: 'POST', headers: { Authorization: cut.basic(ALICE), 'Content-Type': 'application/octet-stream' }, body: seededBytes(2 * MIB, 24) });
    const { blobId } = (await up.json()) as { blobId: string };
    const [[, set]] = (await call(cut, [['Email/set', { accountId: id, create: { e: { mailboxIds: { [mailbox]: true }, attachments: [{ blobId, type: 'application/octet-stream' }] } } }, 's']])) as unknown as Array<[string, Args, string]>;
    const e = (set.notCreated as Record<string, { type: string; notFound?: string[] }> | null)?.e;
    assert.equal(e?.type, 'blobNotFound', JSON.stringify(set));
    assert.deepEqual(e.notFound, [blobId]);
    assert.equal(set.created, null);
    const left = (await readdir(join(cut.dir, 'spool', 'jmap')).catch(() => [])).filter((n) => n.endsWith('.spool'));
    assert.deepEqual(left, []);
  } finally {
    await cut.close();
  }
});
