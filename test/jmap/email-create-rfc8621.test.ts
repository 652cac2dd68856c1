// Email/set create against RFC 8621 §4.6 over HTTP: what a created body part keeps (disposition,
// language), and each constraint on a created Email refused with invalidProperties naming every
// offending property (RFC 8620 §5.3).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
let h: Harness;
let ALICE_ID: string;
let drafts: string;
let blobId: string;

type Args = Record<string, unknown>;
interface SetErrorJson {
  type: string;
  properties?: string[];
  notFound?: string[];
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ALICE_ID = await accountIdOf(h);
  drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
  const up = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'application/pdf' }, body: Buffer.from('%PDF-1.4 x') });
  blobId = ((await up.json()) as { blobId: string }).blobId;
});
after(() => h.close());

/** Email/set create of one email (mailboxIds added) plus an Email/get of it; returns both responses. */
async function create(email: Args, get: Args = {}): Promise<{ set: Args; got: Args | undefined }> {
  const calls: Array<[string, Args, string]> = [['Email/set', { accountId: ALICE_ID, create: { e: { mailboxIds: { [drafts]: true }, ...email } } }, 's']];
  calls.push(['Email/get', { accountId: ALICE_ID, ids: ['#e'], ...get }, 'g']);
  const res = (await call(h, calls)) as Array<[string, Args, string]>;
  const got = res[1]![0] === 'Email/get' ? ((res[1]![1].list as Args[])[0]) : undefined;
  return { set: res[0]![1], got };
}

function refusal(set: Args): SetErrorJson {
  const e = (set.notCreated as Record<string, SetErrorJson> | null)?.e;
  assert.ok(e, `expected notCreated.e in ${JSON.stringify(set)}`);
  assert.equal(set.created, null);
  return e;
}

function assertInvalid(set: Args, properties: string[]): void {
  const e = refusal(set);
  assert.equal(e.type, 'invalidProperties', JSON.stringify(e));
  assert.deepEqual([...(e.properties ?? [])].sort(), [...properties].sort(), JSON.stringify(e));
}

const TEXT = { textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'Hello' } } };

test('RFC 8621 §4.6: a part created with disposition "attachment" and language is stored with both, and is listed in attachments', async () => {
  const { set, got } = await create(
    { subject: 'With attachment', ...TEXT, attachments: [{ blobId, type: 'application/pdf', name: 'Résumé.pdf', disposition: 'attachment', language: ['de', 'en-GB'] }] },
    { properties: ['attachments', 'hasAttachment'], bodyProperties: ['type', 'name', 'disposition', 'language', 'header:Content-Language'] },
  );
  assert.ok((set.created as Args).e, JSON.stringify(set));
  assert.deepEqual(got!.attachments, [{ type: 'application/pdf', name: 'Résumé.pdf', disposition: 'attachment', language: ['de', 'en-GB'], 'header:Content-Language': ' de, en-GB' }]);
  assert.equal(got!.hasAttachment, true);

  const inBodyStructure = await create(
    {
      subject: 'Structured',
      bodyStructure: { type: 'multipart/mixed', subParts: [{ partId: 't', type: 'text/plain', language: ['fr'] }, { blobId, type: 'application/pdf', name: 'a.pdf', disposition: 'attachment', language: ['de'] }] },
      bodyValues: { t: { value: 'Bonjour' } },
    },
    { properties: ['textBody', 'attachments'], bodyProperties: ['type', 'disposition', 'language'] },
  );
  assert.deepEqual(inBodyStructure.got!.textBody, [{ type: 'text/plain', disposition: null, language: ['fr'] }]);
  assert.deepEqual(inBodyStructure.got!.attachments, [{ type: 'application/pdf', disposition: 'attachment', language: ['de'] }]);
});

test('RFC 8621 §4.6: "A Content-Transfer-Encoding header field MUST NOT be given" on a body part, in any form', async () => {
  for (const key of ['header:Content-Transfer-Encoding', 'header:content-transfer-encoding:asText', 'header:CONTENT-TRANSFER-ENCODING:asRaw']) {
    const { set } = await create({ textBody: [{ partId: 't', type: 'text/plain', [key]: 'base64' }], bodyValues: { t: { value: 'x' } } });
    assertInvalid(set, [`textBody/0/${key}`]);
  }
  const nested = await create({ bodyStructure: { type: 'multipart/mixed', subParts: [{ blobId, type: 'application/pdf', 'header:Content-Transfer-Encoding': '7bit' }] } });
  assertInvalid(nested.set, ['bodyStructure/subParts/0/header:Content-Transfer-Encoding']);
});

test('RFC 8621 §4.6: "There MUST NOT be two properties that represent the same header field"', async () => {
  assertInvalid((await create({ ...TEXT, from: [{ email: ALICE }], 'header:From:asAddresses': [{ email: ALICE }] })).set, ['from', 'header:From:asAddresses']);
  assertInvalid((await create({ ...TEXT, subject: 'a', 'header:subject': ' b' })).set, ['subject', 'header:subject']);
  assertInvalid((await create({ ...TEXT, sentAt: '2026-01-01T00:00:00Z', 'header:Date:asDate': '2026-01-01T00:00:00Z' })).set, ['sentAt', 'header:Date:asDate']);
  assertInvalid((await create({ ...TEXT, 'header:X-A': ' 1', 'header:x-a:asText': '2' })).set, ['header:X-A', 'header:x-a:asText']);
  const part = await create({ textBody: [{ partId: 't', type: 'text/plain', 'header:Content-Type': ' text/plain; charset=utf-8' }], bodyValues: { t: { value: 'x' } } });
  assertInvalid(part.set, ['textBody/0/type', 'textBody/0/header:Content-Type']);
  const root = await create({ 'header:X-Top': ' 1', bodyStructure: { partId: 't', type: 'text/plain', 'header:X-Top': ' 2' }, bodyValues: { t: { value: 'x' } } });
  assertInvalid(root.set, ['bodyStructure/header:X-Top']);
});

test('RFC 8621 §4.6: "The headers property MUST NOT be given, on either the top-level email or an EmailBodyPart"', async () => {
  assertInvalid((await create({ ...TEXT, headers: [{ name: 'X-A', value: '1' }], 'header:X-A': ' 1' })).set, ['headers']);
  const part = await create({ textBody: [{ partId: 't', type: 'text/plain', headers: [{ name: 'X-B', value: '1' }] }], bodyValues: { t: { value: 'x' } } });
  assertInvalid(part.set, ['textBody/0/headers']);
});

test('RFC 8621 §4.6: size, charset with a partId; partId with blobId; forbidden header forms; Content-* on the Email', async () => {
  const withPart = await create({ textBody: [{ partId: 't', type: 'text/plain', size: 5, charset: 'utf-8' }], bodyValues: { t: { value: 'x' } } });
  assertInvalid(withPart.set, ['textBody/0/size', 'textBody/0/charset']);
  const both = await create({ attachments: [{ partId: 't', blobId, type: 'application/pdf' }], bodyValues: { t: { value: 'x' } } });
  assertInvalid(both.set, ['attachments/0/partId', 'attachments/0/blobId']);
  // With a blobId, size "may be included but is ignored by the server".
  const sized = await create({ ...TEXT, attachments: [{ blobId, type: 'application/pdf', size: 999 }] }, { properties: ['attachments'], bodyProperties: ['size'] });
  assert.deepEqual(sized.got!.attachments, [{ size: 10 }]);
  assertInvalid((await create({ ...TEXT, 'header:From:asDate': '2026-01-01T00:00:00Z' })).set, ['header:From:asDate']);
  assertInvalid((await create({ ...TEXT, 'header:Content-Type': ' text/plain' })).set, ['header:Content-Type']);
  assertInvalid((await create({ htmlBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'x' } } })).set, ['htmlBody/0/type']);
  assertInvalid((await create({ ...TEXT, bodyStructure: { partId: 't' } })).set, ['bodyStructure', 'textBody']);
});

test('RFC 8620 §5.3 invalidProperties lists every offending property of an Email/set create, not only the first', async () => {
  const { set } = await create({
    id: 'mine',
    size: 3,
    keywords: { 'bad keyword': true },
    receivedAt: 'yesterday',
    from: 'not a list',
    subject: 'dup',
    'header:Subject:asText': 'dup',
    textBody: [{ partId: 't', type: 'text/plain', size: 1, 'header:Content-Transfer-Encoding': 'base64' }],
    attachments: [{ blobId, partId: 'u', type: 'application/pdf' }],
    bodyValues: { t: { value: 'x' }, u: { value: 'y' } },
  });
  assertInvalid(set, [
    'id', 'size', 'keywords', 'receivedAt', 'from', 'subject', 'header:Subject:asText', 'textBody/0/size',
    'textBody/0/header:Content-Transfer-Encoding', 'attachments/0/partId', 'attachments/0/blobId',
  ]);
});

test('RFC 8621 §4.6 blobNotFound: "notFound … containing every blobId referenced by an EmailBodyPart that could not be found"', async () => {
  const { set } = await create({ ...TEXT, attachments: [{ blobId: 'Gnope1', type: 'application/pdf' }, { blobId, type: 'application/pdf' }, { blobId: 'Gnope2', type: 'image/png' }] });
  const e = refusal(set);
  assert.equal(e.type, 'blobNotFound', JSON.stringify(e));
  assert.deepEqual(e.notFound, ['Gnope1', 'Gnope2']);
});

test('RFC 8621 §4.6: a created email round-trips its text with LF line ends and inline cid images in multipart/related', async () => {
  const { set, got } = await create(
    {
      subject: 'Related',
      textBody: [{ partId: 't', type: 'text/plain' }],
      htmlBody: [{ partId: 'h', type: 'text/html' }],
      attachments: [{ blobId, type: 'image/png', cid: 'logo@x' }],
      bodyValues: { t: { value: 'line 1\nline 2' }, h: { value: '<img src="cid:logo@x">' } },
    },
    { properties: ['bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues'], fetchTextBodyValues: true, bodyProperties: ['partId', 'type', 'cid', 'disposition', 'subParts'] },
  );
  assert.ok((set.created as Args).e, JSON.stringify(set));
  const structure = got!.bodyStructure as { type: string; subParts: Array<{ type: string }> };
  assert.equal(structure.type, 'multipart/related');
  assert.deepEqual(structure.subParts.map((p) => p.type), ['multipart/alternative', 'image/png']);
  assert.deepEqual((got!.attachments as Args[]).map((p) => [p.type, p.cid, p.disposition]), [['image/png', 'logo@x', 'inline']]);
  const text = (got!.textBody as Array<{ partId: string }>)[0]!;
  assert.equal((got!.bodyValues as Record<string, { value: string }>)[text.partId]!.value, 'line 1\nline 2');
});
